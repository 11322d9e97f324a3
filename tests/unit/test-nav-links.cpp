// 导航 links (issue 5): the coordinates inside the Amap, Baidu and Tencent links are the
// destination converted from WGS84 to GCJ-02 (Amap, Tencent) or BD-09 (Baidu), checked
// against gcoord, run here by node (data/refdata/scripts/nav-oracle.js), not pasted.
#include "geo/nav-links.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using twindraw::coord::LonLat;
namespace nav = twindraw::nav;

namespace {

std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Query parameters of a URL, decoded.
std::map<std::string, std::string> query(const std::string& url) {
    std::map<std::string, std::string> q;
    std::stringstream ss(url.substr(url.find('?') + 1));
    std::string kv;
    while (std::getline(ss, kv, '&')) {
        const auto eq = kv.find('=');
        q[kv.substr(0, eq)] = url_decode(kv.substr(eq + 1));
    }
    return q;
}

std::pair<double, double> two(const std::string& s) {  // "a,b" (possibly followed by ",name")
    const auto c = s.find(',');
    return {std::stod(s.substr(0, c)), std::stod(s.substr(c + 1))};
}

struct Ref {
    double gcj_lon, gcj_lat, bd_lon, bd_lat;
};

std::vector<Ref> gcoord(const std::vector<LonLat>& pts) {
    const std::string dir = std::string(TWINDRAW_SOURCE_DIR) + "/data/refdata";
    const std::string in = testing::TempDir() + "nav-oracle-in.txt";
    {
        std::ofstream f(in);
        f.precision(12);
        for (const auto& p : pts) f << p.lon << " " << p.lat << "\n";
    }
    const std::string cmd = "cd '" + dir + "' && node scripts/nav-oracle.js < '" + in + "'";
    FILE* p = popen(cmd.c_str(), "r");
    std::vector<Ref> out;
    if (!p) return out;
    Ref r{};
    while (std::fscanf(p, "%lf %lf %lf %lf", &r.gcj_lon, &r.gcj_lat, &r.bd_lon, &r.bd_lat) == 4) out.push_back(r);
    pclose(p);
    return out;
}

}  // namespace

TEST(NavLinks, CoordinatesMatchGcoord) {
    const std::vector<LonLat> pts = {{106.577, 29.5573},      {106.5512345, 29.5634567}, {108.6649, 31.9479},
                                     {116.391275, 39.906217}, {121.4737, 31.2304},       {87.6168, 43.8256},
                                     {109.5119, 18.2528},     {139.6917, 35.6895}};
    const auto ref = gcoord(pts);
    ASSERT_EQ(ref.size(), pts.size()) << "node with gcoord (data/refdata, scripts/deps) is needed";
    const nav::Place from{{106.5, 29.5}, "我的位置"};
    const auto from_ref = gcoord({from.wgs84});
    ASSERT_EQ(from_ref.size(), 1u);
    // The links carry 6 decimals: within 5e-7 of the reference, plus gcoord's 1e-10 print.
    constexpr double tol = 6e-7;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const auto l = nav::links(from, {pts[i], "检查对象 A&B"});
        const auto& r = ref[i];

        auto a = query(l.amap);
        EXPECT_EQ(l.amap.rfind("https://uri.amap.com/navigation?", 0), 0u);
        auto [alon, alat] = two(a["to"]);
        EXPECT_NEAR(alon, r.gcj_lon, tol) << i;
        EXPECT_NEAR(alat, r.gcj_lat, tol) << i;
        EXPECT_NE(a["to"].find(",检查对象 A&B"), std::string::npos);
        auto [aflon, aflat] = two(a["from"]);
        EXPECT_NEAR(aflon, from_ref[0].gcj_lon, tol);
        EXPECT_NEAR(aflat, from_ref[0].gcj_lat, tol);
        EXPECT_EQ(a["coordinate"], "gaode");
        EXPECT_EQ(a["mode"], "car");

        auto b = query(l.baidu);
        EXPECT_EQ(l.baidu.rfind("https://api.map.baidu.com/direction?", 0), 0u);
        ASSERT_EQ(b["destination"].rfind("latlng:", 0), 0u);
        auto [blat, blon] = two(b["destination"].substr(7));
        EXPECT_NEAR(blon, r.bd_lon, tol) << i;
        EXPECT_NEAR(blat, r.bd_lat, tol) << i;
        EXPECT_NE(b["destination"].find("|name:检查对象 A&B"), std::string::npos);
        auto [bflat, bflon] = two(b["origin"].substr(7));
        EXPECT_NEAR(bflon, from_ref[0].bd_lon, tol);
        EXPECT_NEAR(bflat, from_ref[0].bd_lat, tol);
        EXPECT_EQ(b["coord_type"], "bd09ll");
        EXPECT_EQ(b["mode"], "driving");

        auto t = query(l.tencent);
        EXPECT_EQ(l.tencent.rfind("https://apis.map.qq.com/uri/v1/routeplan?", 0), 0u);
        auto [tlat, tlon] = two(t["tocoord"]);
        EXPECT_NEAR(tlon, r.gcj_lon, tol) << i;
        EXPECT_NEAR(tlat, r.gcj_lat, tol) << i;
        EXPECT_EQ(t["to"], "检查对象 A&B");
        EXPECT_FALSE(t["referer"].empty());

        EXPECT_NEAR(l.gcj02.lon, r.gcj_lon, 1e-9);
        EXPECT_NEAR(l.bd09.lat, r.bd_lat, 1e-9);
    }
}

TEST(NavLinks, OutsideChinaGcjIsIdentity) {
    const auto l = nav::links({{139.69, 35.68}, "a"}, {{139.7, 35.69}, "b"});
    EXPECT_NE(l.amap.find("to=139.700000,35.690000,"), std::string::npos);
}

TEST(NavLinks, UrlEncode) {
    EXPECT_EQ(nav::url_encode("a b&c=d|é"), "a%20b%26c%3Dd%7C%C3%A9");
    EXPECT_EQ(nav::url_encode("Az09-_.~"), "Az09-_.~");
}
