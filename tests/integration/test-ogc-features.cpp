// OGC API – Features at /ogc (GIS-4): paging, bbox, one item, errors and the data scope
// through dispatch(), then GDAL's own OAPIF driver reading `twindraw serve` with a bearer
// token and counting the features of each collection.
#include "common-pg.hpp"
#include "serve-process.hpp"
#include "square-city.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sessions.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace twindraw::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// 渝中 (unit 900): 5 subjects with a position and 1 without, 3 patrol points, 1 route;
// 渝北 (unit 901): 3 subjects, 1 patrol point; one inspection result in each district;
// unlicensed businesses: 2 in 渝中, 1 in 渝北.
const std::string kOgcFixture =
    std::string(kSquareDistricts) + kSquareBureaus +
    "INSERT INTO market_subject(uscc, name, division_code, geom)"
    " SELECT '91500103MA0000000' || i, '渝中企业' || i, '500103',"
    "  CASE WHEN i < 6 THEN ST_SetSRID(ST_MakePoint(106.51 + i * 0.01, 29.55), 4326) END"
    "  FROM generate_series(1, 6) i;"
    "INSERT INTO market_subject(uscc, name, division_code, geom)"
    " SELECT '91500112MA0000000' || i, '渝北企业' || i, '500112', ST_SetSRID(ST_MakePoint(106.61 + i * 0.01, 29.55), "
    "4326)"
    "  FROM generate_series(1, 3) i;"
    "INSERT INTO patrol_point(id, authority_id, name, geom) VALUES"
    " (1, 900, '甲', ST_SetSRID(ST_MakePoint(106.52, 29.52), 4326)),"
    " (2, 900, '乙', ST_SetSRID(ST_MakePoint(106.53, 29.53), 4326)),"
    " (3, 900, '丙', ST_SetSRID(ST_MakePoint(106.54, 29.52), 4326)),"
    " (4, 901, '丁', ST_SetSRID(ST_MakePoint(106.65, 29.55), 4326));"
    "INSERT INTO patrol_route(id, authority_id, name) VALUES (1, 900, '渝中一号线');"
    "INSERT INTO patrol_route_point(route_id, seq, point_id) VALUES (1, 1, 1), (1, 2, 2), (1, 3, 3);"
    // Two results on the map, one per district (result_point rows as 0019's trigger writes them).
    "INSERT INTO result_point(geom, inspected_year, unit_id, category, problem) VALUES"
    " (ST_SetSRID(ST_MakePoint(106.52, 29.55), 4326), 2026, 900, '01', false),"
    " (ST_SetSRID(ST_MakePoint(106.62, 29.55), 4326), 2026, 901, '07', true);"
    // Unlicensed businesses (0026): two in 渝中, one in 渝北.
    "INSERT INTO unlicensed_business(authority_id, division_code, geom, name, address, business, operator_name,"
    " found_at, status) VALUES"
    " (900, '500103', ST_SetSRID(ST_MakePoint(106.56, 29.57), 4326), '无照甲', '渝中路1号', '无照餐饮', '甲',"
    "  '2026-03-01 10:00+08', 'registered'),"
    " (900, '500103', ST_SetSRID(ST_MakePoint(106.57, 29.58), 4326), '无照乙', '渝中路2号', '无照理发', '乙',"
    "  '2026-03-02 10:00+08', 'banned'),"
    " (901, '500112', ST_SetSRID(ST_MakePoint(106.66, 29.57), 4326), '无照丙', '渝北路3号', '无照网吧', '丙',"
    "  '2026-03-03 10:00+08', 'handling');";

class OgcApi : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kOgcFixture);
        tx.commit();
        app = std::make_unique<server::App>(server::App{db.pool(), "", ""});
        server::register_all(router, *app);
    }

    // scope "all" (a leader) or "district" of unit 901.
    server::Response get(const std::string& target, const std::string& scope = "all", bool unlicensed = true) {
        server::Request req = square_request("GET", target);
        req.headers["host"] = "gis.example:8080";
        std::vector<std::string> permissions = {"registry.read"};
        if (unlicensed) permissions.push_back("unlicensed.read");
        req.principal = square_principal(1, scope == "all" ? 900 : 901, scope, permissions);
        return server::dispatch(router, "", req);
    }
    static json parse(const server::Response& r) { return json::parse(r.body); }

    TempDatabase db;
    std::unique_ptr<server::App> app;
    server::Router router;
};

std::string link_of(const json& doc, const std::string& rel) {
    for (const auto& l : doc["links"])
        if (l["rel"] == rel) return l["href"];
    return "";
}

TEST_F(OgcApi, LandingConformanceCollectionsAndPagedItems) {
    auto landing = parse(get("/ogc"));
    EXPECT_EQ(link_of(landing, "data"), "http://gis.example:8080/ogc/collections");
    EXPECT_EQ(link_of(landing, "conformance"), "http://gis.example:8080/ogc/conformance");
    auto conf = parse(get("/ogc/conformance"))["conformsTo"];
    EXPECT_NE(std::find(conf.begin(), conf.end(), "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"),
              conf.end());
    auto cols = parse(get("/ogc/collections"))["collections"];
    ASSERT_EQ(cols.size(), 5u);
    EXPECT_EQ(cols[3]["id"], "inspection_results");
    EXPECT_EQ(cols[4]["id"], "unlicensed_business");
    EXPECT_EQ(cols[0]["id"], "market_subjects");
    const auto& bbox = cols[0]["extent"]["spatial"]["bbox"][0];
    ASSERT_EQ(bbox.size(), 4u);
    const double want[4] = {106.52, 29.55, 106.64, 29.55};
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(bbox[i].get<double>(), want[i], 1e-5) << i;

    auto p1 = get("/ogc/collections/market_subjects/items?limit=3");
    ASSERT_EQ(p1.status, 200) << p1.body;
    EXPECT_EQ(p1.content_type, "application/geo+json");
    auto j1 = parse(p1);
    EXPECT_EQ(j1["numberMatched"], 8);  // the subject without a position is no feature
    EXPECT_EQ(j1["numberReturned"], 3);
    EXPECT_EQ(link_of(j1, "next"), "http://gis.example:8080/ogc/collections/market_subjects/items?limit=3&offset=3");
    std::set<long long> ids;
    std::string next = "/ogc/collections/market_subjects/items?limit=3";
    for (int pages = 0; !next.empty() && pages < 10; ++pages) {
        auto j = parse(get(next));
        for (const auto& f : j["features"]) {
            EXPECT_EQ(f["type"], "Feature");
            EXPECT_EQ(f["geometry"]["type"], "Point");
            ids.insert(f["id"].get<long long>());
        }
        next = link_of(j, "next");
        if (!next.empty()) next = next.substr(next.find("/ogc"));
    }
    EXPECT_EQ(ids.size(), 8u);

    // bbox over 渝中 only.
    auto in_box = parse(get("/ogc/collections/market_subjects/items?bbox=106.5,29.5,106.6,29.6"));
    EXPECT_EQ(in_box["numberMatched"], 5);
    for (const auto& f : in_box["features"]) EXPECT_EQ(f["properties"]["division_code"], "500103");

    auto route = parse(get("/ogc/collections/patrol_routes/items/1"));
    EXPECT_EQ(route["geometry"]["type"], "LineString");
    EXPECT_EQ(route["geometry"]["coordinates"].size(), 3u);
    EXPECT_EQ(route["properties"]["name"], "渝中一号线");

    EXPECT_EQ(get("/ogc/collections/nothing/items").status, 404);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items/99").status, 404);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items?bbox=1,2,3").status, 400);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items?bbox=1,2,3,x").status, 400);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items?limit=0").status, 400);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items?offset=-1").status, 400);
}

TEST_F(OgcApi, TheDataScopeDecidesWhichFeaturesExist) {
    EXPECT_EQ(parse(get("/ogc/collections/market_subjects/items", "district"))["numberMatched"], 3);
    EXPECT_EQ(parse(get("/ogc/collections/patrol_points/items", "district"))["numberMatched"], 1);
    EXPECT_EQ(parse(get("/ogc/collections/patrol_routes/items", "district"))["numberMatched"], 0);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items/1", "district").status, 404);
    EXPECT_EQ(parse(get("/ogc/collections/patrol_points/items"))["numberMatched"], 4);
    EXPECT_EQ(parse(get("/ogc/collections/inspection_results/items"))["numberMatched"], 2);
    auto north = parse(get("/ogc/collections/inspection_results/items", "district"));
    ASSERT_EQ(north["numberMatched"], 1);
    EXPECT_EQ(north["features"][0]["properties"]["category"], "07");
    EXPECT_EQ(north["features"][0]["properties"]["problem"], true);
    EXPECT_EQ(parse(get("/ogc/collections/unlicensed_business/items"))["numberMatched"], 3);
    auto nu = parse(get("/ogc/collections/unlicensed_business/items", "district"));
    ASSERT_EQ(nu["numberMatched"], 1);
    EXPECT_EQ(nu["features"][0]["properties"]["name"], "无照丙");
    EXPECT_EQ(nu["features"][0]["properties"]["status_label"], "处置中");
    EXPECT_EQ(nu["features"][0]["properties"]["found_at"], "2026-03-03 10:00");
    EXPECT_FALSE(nu["features"][0]["properties"].contains("operator_name"));  // no personal data in /ogc
    // Without unlicensed.read the collection is neither listed nor readable.
    EXPECT_EQ(parse(get("/ogc/collections", "all", false))["collections"].size(), 4u);
    auto refused = get("/ogc/collections/unlicensed_business/items", "all", false);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(parse(refused)["error"]["code"], "forbidden");
    EXPECT_EQ(get("/ogc/collections/unlicensed_business/export?format=gpkg", "all", false).status, 403);
    EXPECT_EQ(get("/ogc/collections/patrol_points/items", "all", false).status, 200);
}

// ---- GDAL's OAPIF driver against `twindraw serve` ----

// "Feature Count: N" of the layer's summary in ogrinfo's output, or -1.
long long feature_count(const std::string& out, const std::string& layer) {
    auto at = out.find("Layer name: " + layer + "\n");
    if (at == std::string::npos) return -1;
    std::smatch m;
    std::string rest = out.substr(at);
    if (!std::regex_search(rest, m, std::regex("Feature Count: ([0-9]+)"))) return -1;
    return std::stoll(m[1]);
}

TEST(OgcFeaturesGdal, OgrinfoReadsTheCollectionsAndCountsFromServe) {
    TempDatabase db;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kOgcFixture);
        tx.exec_params(
            "INSERT INTO app_user(account, name, password_hash, must_change_password) VALUES ('gis', 'GIS', $1, false),"
            " ('north', '渝北', $1, false)",
            accounts::hash_password("Twindraw@2026"));
        tx.exec(
            "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
            " SELECT (SELECT id FROM app_user WHERE account = 'gis'), 900, id, true FROM role WHERE code = 'leader'");
        tx.exec(
            "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
            " SELECT (SELECT id FROM app_user WHERE account = 'north'), 901, id, true FROM role WHERE code = "
            "'district_admin'");
        tx.commit();
    }
    auto login = accounts::login(db.pool(), "gis", "Twindraw@2026", "bearer", {"127.0.0.1", "gtest"}, {}, {});
    ASSERT_EQ(login.status, accounts::LoginResult::Status::Ok);
    auto north = accounts::login(db.pool(), "north", "Twindraw@2026", "bearer", {"127.0.0.1", "gtest"}, {}, {});
    ASSERT_EQ(north.status, accounts::LoginResult::Status::Ok);

    const fs::path work = fs::temp_directory_path() / ("twindraw-ogc-" + db.name());
    ServeProcess serve(db.url(), work);
    ASSERT_TRUE(serve.up()) << serve.log();
    const std::string& base = serve.base();
    EXPECT_EQ(http_status(base + "/ogc"), 401);  // not public

    auto ogrinfo = [&](const std::string& token) {
        return run_command("GDAL_HTTP_HEADERS='Authorization: Bearer " + token +
                           "' ogrinfo -ro -so -al 'OAPIF:" + base + "/ogc'");
    };
    auto [rc, out] = ogrinfo(login.token);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(feature_count(out, "market_subjects"), 8) << out;
    EXPECT_EQ(feature_count(out, "patrol_points"), 4) << out;
    EXPECT_EQ(feature_count(out, "patrol_routes"), 1) << out;
    EXPECT_EQ(feature_count(out, "inspection_results"), 2) << out;
    EXPECT_EQ(feature_count(out, "unlicensed_business"), 3) << out;
    EXPECT_NE(out.find("Geometry: Line String"), std::string::npos) << out;

    // GDAL reads every feature through the paging links (page size 2 forces four pages).
    std::tie(rc, out) =
        run_command("GDAL_HTTP_HEADERS='Authorization: Bearer " + login.token + "' ogr2ogr -f GeoJSON " +
                    (work / "subjects.geojson").string() + " 'OAPIF:" + base + "/ogc' market_subjects -oo PAGE_SIZE=2");
    EXPECT_EQ(rc, 0) << out;
    auto copied = json::parse(read_all(work / "subjects.geojson"));
    EXPECT_EQ(copied["features"].size(), 8u);

    // 渝北's district administrator sees its own district only.
    std::tie(rc, out) = ogrinfo(north.token);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(feature_count(out, "market_subjects"), 3) << out;
    EXPECT_EQ(feature_count(out, "patrol_points"), 1) << out;
    EXPECT_EQ(feature_count(out, "patrol_routes"), 0) << out;
    EXPECT_EQ(feature_count(out, "inspection_results"), 1) << out;
    EXPECT_EQ(feature_count(out, "unlicensed_business"), 1) << out;
    fs::remove_all(work);
}

// Every collection exports as GeoJSON, GPKG and KML in the caller's scope; ogrinfo opens
// each file and counts the features of the layer named after the collection.
TEST_F(OgcApi, CollectionsExportAsGeoJsonGpkgAndKmlThatOgrinfoReads) {
    const fs::path work = fs::temp_directory_path() / ("twindraw-ogc-export-" + db.name());
    fs::create_directories(work);
    struct Case {
        std::string collection, scope;
        long long count;
        std::string geometry;
    };
    const std::vector<Case> cases = {{"unlicensed_business", "all", 3, "Point"},
                                     {"unlicensed_business", "district", 1, "Point"},
                                     {"patrol_routes", "all", 1, "Line String"},
                                     {"market_subjects", "district", 3, "Point"},
                                     {"inspection_results", "all", 2, "Point"}};
    for (const auto& c : cases) {
        for (const std::string format : {"geojson", "gpkg", "kml"}) {
            auto r = get("/ogc/collections/" + c.collection + "/export?format=" + format, c.scope);
            ASSERT_EQ(r.status, 200) << c.collection << " " << format << " " << r.body;
            const fs::path file = work / (c.collection + "-" + c.scope + "." + format);
            {
                std::ofstream out(file, std::ios::binary);
                out << r.body;
            }
            auto [rc, out] = run_command("ogrinfo -ro -so -al '" + file.string() + "'");
            EXPECT_EQ(rc, 0) << out;
            EXPECT_EQ(feature_count(out, c.collection), c.count) << c.collection << " " << format << "\n" << out;
            if (format != "kml") {  // KML layers carry no declared geometry type
                EXPECT_NE(out.find("Geometry: " + c.geometry), std::string::npos) << out;
            }
        }
    }
    auto kml = get("/ogc/collections/unlicensed_business/export?format=kml", "district");
    EXPECT_NE(kml.body.find("<name>无照丙</name>"), std::string::npos) << kml.body;
    EXPECT_EQ(kml.content_type, "application/vnd.google-earth.kml+xml");
    auto bad = get("/ogc/collections/unlicensed_business/export?format=shp");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json::parse(bad.body)["error"]["code"], "bad_format");
    EXPECT_EQ(get("/ogc/collections/nothing/export?format=gpkg").status, 404);
    fs::remove_all(work);
}

}  // namespace
}  // namespace twindraw::testing
