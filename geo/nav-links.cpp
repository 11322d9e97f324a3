#include "geo/nav-links.hpp"

#include <cstdio>

namespace twindraw::nav {

namespace {

std::string fixed6(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

const char* kSource = "twindraw";

}  // namespace

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

Links links(const Place& from, const Place& to) {
    Links l;
    const coord::LonLat fg = coord::wgs84_to_gcj02(from.wgs84), tg = coord::wgs84_to_gcj02(to.wgs84);
    const coord::LonLat fb = coord::gcj02_to_bd09(fg), tb = coord::gcj02_to_bd09(tg);
    l.gcj02 = tg;
    l.bd09 = tb;
    // Amap: lon,lat,name; coordinate=gaode says the points are GCJ-02 already.
    l.amap = "https://uri.amap.com/navigation?from=" + fixed6(fg.lon) + "," + fixed6(fg.lat) + "," +
             url_encode(from.name) + "&to=" + fixed6(tg.lon) + "," + fixed6(tg.lat) + "," + url_encode(to.name) +
             "&mode=car&policy=1&coordinate=gaode&callnative=1&src=" + kSource;
    // Baidu: latlng:lat,lon|name:…; coord_type=bd09ll says the points are BD-09.
    l.baidu = "https://api.map.baidu.com/direction?origin=" +
              url_encode("latlng:" + fixed6(fb.lat) + "," + fixed6(fb.lon) + "|name:" + from.name) +
              "&destination=" + url_encode("latlng:" + fixed6(tb.lat) + "," + fixed6(tb.lon) + "|name:" + to.name) +
              "&mode=driving&coord_type=bd09ll&output=html&src=" + url_encode(std::string("webapp.") + kSource);
    // Tencent: lat,lon in GCJ-02 (the only datum its URI API takes).
    l.tencent = "https://apis.map.qq.com/uri/v1/routeplan?type=drive&from=" + url_encode(from.name) +
                "&fromcoord=" + fixed6(fg.lat) + "," + fixed6(fg.lon) + "&to=" + url_encode(to.name) +
                "&tocoord=" + fixed6(tg.lat) + "," + fixed6(tg.lon) + "&policy=0&referer=" + kSource;
    return l;
}

}  // namespace twindraw::nav
