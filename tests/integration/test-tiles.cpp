// Map tiles on a real PostGIS (GIS-2, GIS-4): the tile routes' errors and caching,
// metatiles, exact expiry when an enterprise moves through the registry API, the cache
// key per data scope, visual comparison with reviewed reference images
// (TWINDRAW_UPDATE_REFERENCE=1 regenerates tests/fixtures/tiles/*.png), a stitched 2×2
// against one 512 px render, and GDAL's WMTS driver against `twindraw serve`.
#include "common-pg.hpp"
#include "serve-process.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"
#include "tiles/tile-service.hpp"
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
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::http_status;
using twindraw::testing::read_all;
using twindraw::testing::run_command;
using twindraw::testing::ServeProcess;
using twindraw::testing::TempDatabase;
namespace fs = std::filesystem;

namespace {

// 渝中区 and 沙坪坝区 as simple polygons, one town (解放碑街道) and twelve subjects of
// every risk level around 渝中区, plus one far to the west.
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.49 29.535, 106.60 29.54, 106.595 29.575, 106.50 29.567, 106.49 29.535)))', 4326)),
 ('500106', '沙坪坝区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.38 29.53, 106.49 29.535, 106.50 29.567, 106.47 29.64, 106.39 29.62, 106.38 29.53)))', 4326)),
 ('500103001', '解放碑街道', 4, '500103', ST_GeomFromText('MULTIPOLYGON(((106.565 29.545, 106.598 29.548, 106.595 29.572, 106.567 29.568, 106.565 29.545)))', 4326)),
 ('500103002', '大坪街道', 4, '500103', ST_GeomFromText('MULTIPOLYGON(((106.50 29.536, 106.54 29.538, 106.542 29.566, 106.502 29.565, 106.50 29.536)))', 4326));
INSERT INTO authority(id, name, kind, division_code) VALUES (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103');
INSERT INTO app_user(id, account, name, password_hash) VALUES (77, 'zhangsan', '张三', 'x');
INSERT INTO market_subject(uscc, name, division_code, risk_level, geom)
SELECT '915001030000000' || lpad(i::text, 3, '0'), '测试主体' || i, CASE WHEN i <= 10 THEN '500103' ELSE '500106' END,
       1 + (i % 4), ST_SetSRID(ST_MakePoint(106.55 + 0.004 * (i % 5), 29.55 + 0.003 * (i / 5)), 4326)
  FROM generate_series(0, 11) i;
INSERT INTO market_subject(uscc, name, division_code, risk_level, geom)
VALUES ('915001060000000999', '远处主体', '500106', 4, ST_SetSRID(ST_MakePoint(106.40, 29.60), 4326));
)SQL";

tiles::TileId tile_at(double lon, double lat, int z) {
    auto r = tiles::tiles_touching({lon, lat, lon, lat}, z, 0);
    return {z, r.x0, r.y0};
}

// The fixture's subjects 0..11 as kFixture places them (the far one is left out).
struct Subject {
    double lon, lat;
    int risk;
};
std::vector<Subject> fixture_subjects() {
    std::vector<Subject> out;
    for (int i = 0; i < 12; ++i) out.push_back({106.55 + 0.004 * (i % 5), 29.55 + 0.003 * (i / 5), 1 + (i % 4)});
    return out;
}

// Where a WGS84 point falls in tile t, in pixels from its top-left corner (may be outside).
std::pair<double, double> pixel_in(const tiles::TileId& t, double lon, double lat) {
    double mx = 0, my = 0;
    tiles::lonlat_to_mercator(lon, lat, mx, my);
    const auto b = tiles::tile_bounds(t.z, t.x, t.y);
    return {(mx - b.minx) / (b.maxx - b.minx) * tiles::kTileSize, (b.maxy - my) / (b.maxy - b.miny) * tiles::kTileSize};
}

bool well_inside(const std::pair<double, double>& px, double margin) {
    return px.first >= margin && px.second >= margin && px.first < tiles::kTileSize - margin &&
           px.second < tiles::kTileSize - margin;
}

// Pixels of `img` with alpha > 128 within `radius` pixels of (px.first, px.second).
int drawn_near(const tiles::Rgba& img, const std::pair<double, double>& px, int radius = 3) {
    int n = 0;
    const int cx = int(px.first), cy = int(px.second);
    for (int y = cy - radius; y <= cy + radius; ++y)
        for (int x = cx - radius; x <= cx + radius; ++x) {
            if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > radius * radius) continue;
            n += img.pixels[(size_t(y) * img.width + x) * 4 + 3] > 128;
        }
    return n;
}

// Every fixture subject of `risks` (all when empty) well inside tile t has its marker
// drawn (a 9 px dot covers the whole 3 px disc around its position: 29 pixels); returns
// how many were checked, so that a caller can insist that some were.
int expect_subjects_drawn(const tiles::Rgba& img, const tiles::TileId& t, const std::string& what,
                          std::vector<int> risks = {}) {
    int checked = 0;
    for (const auto& s : fixture_subjects()) {
        if (!risks.empty() && std::find(risks.begin(), risks.end(), s.risk) == risks.end()) continue;
        const auto px = pixel_in(t, s.lon, s.lat);
        if (!well_inside(px, 6)) continue;
        ++checked;
        EXPECT_GE(drawn_near(img, px), 20) << what << ": no marker at " << s.lon << "," << s.lat << " (pixel "
                                           << px.first << "," << px.second << ")";
    }
    return checked;
}

struct Diff {
    long long differing = 0;
    long long total = 0;
};

// Pixels whose largest channel difference exceeds `threshold` (0..255).
Diff compare(const tiles::Rgba& a, const tiles::Rgba& b, int threshold) {
    Diff d;
    EXPECT_EQ(a.width, b.width);
    EXPECT_EQ(a.height, b.height);
    if (a.width != b.width || a.height != b.height) return {1, 1};
    d.total = (long long)a.width * a.height;
    for (long long i = 0; i < d.total; ++i) {
        int worst = 0;
        for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(int(a.pixels[i * 4 + c]) - int(b.pixels[i * 4 + c])));
        if (worst > threshold) ++d.differing;
    }
    return d;
}

// Compares a rendered PNG with tests/fixtures/tiles/<name>.png, or writes the reference
// when TWINDRAW_UPDATE_REFERENCE=1. Every render is also left in the build tree for
// review.
void expect_matches_reference(const std::string& png, const std::string& name, double budget) {
    const fs::path ref = fs::path(TWINDRAW_SOURCE_DIR) / "tests/fixtures/tiles" / (name + ".png");
    fs::create_directories("tiles-rendered");
    std::ofstream(fs::path("tiles-rendered") / (name + ".png"), std::ios::binary) << png;
    if (const char* u = std::getenv("TWINDRAW_UPDATE_REFERENCE"); u && std::string(u) == "1") {
        std::ofstream(ref, std::ios::binary) << png;
        std::cerr << "reference written: " << ref << "\n";
        return;
    }
    ASSERT_TRUE(fs::exists(ref)) << ref << " missing; run with TWINDRAW_UPDATE_REFERENCE=1 and review it";
    auto d = compare(tiles::decode_png(png), tiles::decode_png(read_all(ref)), 24);
    EXPECT_LE(double(d.differing), budget * double(d.total))
        << name << ": " << d.differing << " of " << d.total << " pixels differ (see tiles-rendered/" << name << ".png)";
}

class TilesApi : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kFixture);
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", data_dir.string()});
        imports = std::make_unique<ImportQueue>(db.pool());
        app->imports = imports.get();
        register_all(router, *app);
    }

    void TearDown() override {
        std::error_code ec;
        fs::remove_all(data_dir, ec);
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  std::vector<std::string> permissions = {"registry.read", "registry.write"},
                  const std::string& data_scope = "all", const std::string& if_none_match = {}) {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = "application/json";
        if (!if_none_match.empty()) req.headers["if-none-match"] = if_none_match;
        req.peer = "192.0.2.8";
        Principal p;
        p.user_id = 77;
        p.unit_id = 900;
        p.stage = "ok";
        p.data_scope = data_scope;
        p.permissions = std::move(permissions);
        req.principal = p;
        return dispatch(router, "", req);
    }

    static std::string url(const std::string& layer, const tiles::TileId& t, const std::string& query = {}) {
        return "/tiles/" + layer + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) +
               ".png" + (query.empty() ? "" : "?" + query);
    }

    static std::string header(const Response& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }

    fs::path cached(const std::string& layer, const tiles::TileId& t, const std::string& scope = "all") {
        tiles::TileService paths(db.pool(), data_dir / "tiles");
        return paths.tile_path(layer, {}, scope, t);
    }

    TempDatabase db;
    fs::path data_dir = fs::temp_directory_path() / ("twindraw-tiles-" + db.name());
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

}  // namespace

TEST_F(TilesApi, BadRequestsAreJsonErrorsNever500) {
    auto r = call("GET", "/tiles/nosuch/1/0/0.png");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "unknown_layer");
    for (const auto& bad : {"/tiles/base/1/2/0.png", "/tiles/base/x/0/0.png", "/tiles/base/25/0/0.png",
                            "/tiles/base/1/0/-1.png", "/tiles/objects/1/0/0.png?risk=9",
                            "/tiles/objects/1/0/0.png?division=abc", "/tiles/base/1/0/0.png?risk=1",
                            "/tiles/objects/1/0/0.png?foo=1"}) {
        r = call("GET", bad);
        EXPECT_EQ(r.status, 400) << bad << " " << r.body;
        auto code = nlohmann::json::parse(r.body)["error"]["code"].get<std::string>();
        EXPECT_TRUE(code == "bad_tile" || code == "bad_filter") << bad << " " << code;
    }
    EXPECT_EQ(call("GET", "/tiles/base/1/0/0.png", {}, {"audit.read"}).status, 403);

    // A malformed tile address is a JSON 404, not the single-page app's index.html.
    const fs::path web = data_dir / "web";
    fs::create_directories(web);
    std::ofstream(web / "index.html") << "<html></html>";
    for (const auto& path : {"/tiles/base/1/0/0.jpg", "/tiles/base/1/0", "/wmts/1.0.0/other.xml"}) {
        Request req;
        req.method = "GET";
        req.path = path;
        auto res = dispatch(router, web.string(), req);
        EXPECT_EQ(res.status, 404) << path;
        EXPECT_NE(res.body.find("not_found"), std::string::npos) << path;
    }
}

TEST_F(TilesApi, TileIsAPngWithETagAndOneRenderServesItsWholeMetatile) {
    // The z14 tile that holds subjects 0..9 (10 and 11 are in the tile above it).
    const auto t = tile_at(106.56, 29.551, 14);
    auto r = call("GET", url("objects", t));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "image/png");
    EXPECT_EQ(r.body.substr(1, 3), "PNG");
    const std::string etag = header(r, "ETag");
    EXPECT_EQ(etag, "\"" + tiles::sha256_hex(r.body).substr(0, 32) + "\"");
    EXPECT_NE(header(r, "Cache-Control").find("private"), std::string::npos);
    auto img = tiles::decode_png(r.body);
    EXPECT_EQ(img.width, 256);
    long long opaque = 0;
    for (size_t i = 3; i < img.pixels.size(); i += 4) opaque += img.pixels[i] > 0;
    EXPECT_GT(opaque, 30) << "the subjects near 106.56,29.551 are drawn";
    EXPECT_EQ(expect_subjects_drawn(img, t, "objects z14"), 10) << "subjects 0..9 are well inside the tile";

    // The 8×8 metatile was rendered once and cut: all 64 tiles are on disk.
    const auto m = tiles::metatile_of(t.z, t.x, t.y);
    int files = 0;
    for (int dx = 0; dx < 8; ++dx)
        for (int dy = 0; dy < 8; ++dy) files += fs::exists(cached("objects", {t.z, m.x0 + dx, m.y0 + dy}));
    EXPECT_EQ(files, 64);

    auto again = call("GET", url("objects", t), {}, {"registry.read"}, "all", etag);
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(header(again, "ETag"), etag);

    // A filter is part of the key: only risk level 1 leaves fewer pixels drawn — the
    // risk-1 subjects keep their markers, the others' places are empty (nothing else is
    // drawn within 3 px: the subjects stand 40 px apart), where the unfiltered tile has them.
    auto low = call("GET", url("objects", t, "risk=1"));
    ASSERT_EQ(low.status, 200);
    EXPECT_NE(header(low, "ETag"), etag);
    const auto low_img = tiles::decode_png(low.body);
    EXPECT_EQ(expect_subjects_drawn(low_img, t, "objects z14 risk=1", {1}), 3);  // subjects 0, 4 and 8
    int filtered_out = 0;
    for (const auto& s : fixture_subjects()) {
        const auto px = pixel_in(t, s.lon, s.lat);
        if (s.risk == 1 || !well_inside(px, 6)) continue;
        ++filtered_out;
        EXPECT_GE(drawn_near(img, px), 20) << "risk " << s.risk << " at " << s.lon << "," << s.lat << " unfiltered";
        EXPECT_EQ(drawn_near(low_img, px), 0) << "risk " << s.risk << " at " << s.lon << "," << s.lat << " with risk=1";
    }
    EXPECT_EQ(filtered_out, 7);
}

TEST_F(TilesApi, MovingAnEnterpriseExpiresExactlyTheTilesItTouchesAtEveryZoom) {
    long long id = 0;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        id = tx.exec1("SELECT id FROM market_subject WHERE uscc = '915001030000000000'")[0].as<long long>();
    }
    // Subject 0 stands at 106.55, 29.55 and moves 0.03° east to a place with no others.
    const std::vector<int> zooms = {3, 8, 11, 14, 17};
    std::map<int, std::string> before;
    for (int z : zooms) {
        auto r = call("GET", url("objects", tile_at(106.55, 29.55, z)));
        ASSERT_EQ(r.status, 200);
        before[z] = header(r, "ETag");
    }
    const auto far = tile_at(106.40, 29.60, 14);
    ASSERT_EQ(call("GET", url("objects", far)).status, 200);
    const auto far_time = fs::last_write_time(cached("objects", far));
    const auto far_bytes = read_all(cached("objects", far));
    const auto new_place = tile_at(106.58, 29.55, 14);
    auto r = call("GET", url("objects", new_place));
    const std::string new_place_before = header(r, "ETag");

    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r = call("PUT", "/api/subjects/" + std::to_string(id), R"({"location":{"lon":106.58,"lat":29.55}})");
    ASSERT_EQ(r.status, 200) << r.body;

    // The next tile request consumes the change: every zoom's old tile is gone, the far one kept.
    ASSERT_EQ(call("GET", url("base", tile_at(106.40, 29.60, 5))).status, 200);
    for (int z : zooms) EXPECT_FALSE(fs::exists(cached("objects", tile_at(106.55, 29.55, z)))) << "z" << z;
    EXPECT_FALSE(fs::exists(cached("objects", new_place)));
    ASSERT_TRUE(fs::exists(cached("objects", far)));
    EXPECT_EQ(fs::last_write_time(cached("objects", far)), far_time);
    EXPECT_EQ(read_all(cached("objects", far)), far_bytes);

    // Re-rendered: the old place lost its dot and the new place gained one.
    for (int z : {11, 14, 17}) {
        r = call("GET", url("objects", tile_at(106.55, 29.55, z)));
        ASSERT_EQ(r.status, 200);
        EXPECT_NE(header(r, "ETag"), before[z]) << "z" << z;
    }
    r = call("GET", url("objects", new_place));
    EXPECT_NE(header(r, "ETag"), new_place_before);
    EXPECT_EQ(fs::last_write_time(cached("objects", far)), far_time);
}

TEST_F(TilesApi, ObjectTilesAreCachedPerDataScope) {
    const auto t = tile_at(106.56, 29.555, 13);
    ASSERT_EQ(call("GET", url("objects", t), {}, {"registry.read"}, "all").status, 200);
    ASSERT_EQ(call("GET", url("objects", t), {}, {"registry.read"}, "unit").status, 200);
    EXPECT_TRUE(fs::exists(cached("objects", t, "all")));
    EXPECT_TRUE(fs::exists(cached("objects", t, "unit:900")));
    EXPECT_NE(cached("objects", t, "all"), cached("objects", t, "unit:900"));
    // The base layer shows no scoped data: one cache for everyone.
    ASSERT_EQ(call("GET", url("base", t), {}, {"registry.read"}, "unit").status, 200);
    EXPECT_TRUE(fs::exists(cached("base", t, "all")));
}

TEST_F(TilesApi, RenderedTilesMatchTheReviewedReferences) {
    auto base = call("GET", url("base", tile_at(106.545, 29.552, 12)));
    ASSERT_EQ(base.status, 200);
    expect_matches_reference(base.body, "base-z12", 0.01);
    auto town = call("GET", url("base", tile_at(106.58, 29.558, 14)));
    ASSERT_EQ(town.status, 200);
    expect_matches_reference(town.body, "base-z14", 0.01);
    // The objects tile is mostly transparent: an empty tile would differ from the reference
    // in fewer pixels than the budget, so its subjects' markers are checked one by one.
    const auto objects_tile = tile_at(106.56, 29.552, 15);
    auto objects = call("GET", url("objects", objects_tile));
    ASSERT_EQ(objects.status, 200);
    expect_matches_reference(objects.body, "objects-z15", 0.01);
    EXPECT_EQ(expect_subjects_drawn(tiles::decode_png(objects.body), objects_tile, "objects-z15"), 6);  // 2-4, 7-9
}

TEST_F(TilesApi, TwoByTwoTilesAcrossAMetatileEdgeAgreeWithOne512PixelRender) {
    for (const std::string layer : {"base", "objects"}) {
        const int z = layer == "base" ? 13 : 14;
        auto t = tile_at(106.545, 29.552, z);
        t.x = (t.x / 8) * 8 - 1;  // the four tiles straddle a metatile edge
        tiles::Rgba stitched{512, 512, std::vector<std::uint8_t>(512 * 512 * 4)};
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
                auto r = call("GET", url(layer, {z, t.x + dx, t.y + dy}));
                ASSERT_EQ(r.status, 200);
                auto img = tiles::decode_png(r.body);
                for (int row = 0; row < 256; ++row)
                    std::copy_n(&img.pixels[size_t(row) * 256 * 4], 256 * 4,
                                &stitched.pixels[(size_t(dy * 256 + row) * 512 + dx * 256) * 4]);
            }
        const auto a = tiles::tile_bounds(z, t.x, t.y), b = tiles::tile_bounds(z, t.x + 1, t.y + 1);
        tiles::TileService direct(db.pool(), data_dir / "direct");
        auto whole = direct.render_area(layer, {a.minx, b.miny, b.maxx, a.maxy}, z, 512, 512, {});
        auto d = compare(stitched, tiles::decode_png(whole), 24);
        EXPECT_LE(d.differing, d.total / 100) << layer << ": " << d.differing << " of " << d.total << " differ";
        if (layer == "base") expect_matches_reference(tiles::encode_png(stitched), "base-z13-stitched", 0.01);
    }
}

// ---- GDAL's WMTS driver against `twindraw serve` ----

TEST(TilesWmts, GdalOpensTheCapabilitiesAndReadsPixelsFromServe) {
    TempDatabase db;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kFixture);
        tx.exec_params("INSERT INTO app_user(account, name, password_hash, must_change_password) VALUES ('gis', 'GIS', $1, false)",
                       accounts::hash_password("Twindraw@2026"));
        tx.exec("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                " SELECT (SELECT id FROM app_user WHERE account = 'gis'), 900, id, true FROM role WHERE code = 'leader'");
        tx.commit();
    }
    auto login = accounts::login(db.pool(), "gis", "Twindraw@2026", "bearer", {"127.0.0.1", "gtest"}, {}, {});
    ASSERT_EQ(login.status, accounts::LoginResult::Status::Ok);

    const fs::path work = fs::temp_directory_path() / ("twindraw-wmts-" + db.name());
    ServeProcess serve(db.url(), work);
    ASSERT_TRUE(serve.up()) << serve.log();
    const std::string& base = serve.base();
    EXPECT_EQ(http_status(base + "/wmts/1.0.0/WMTSCapabilities.xml"), 401);  // not public

    const std::string env = "GDAL_HTTP_HEADERS='Authorization: Bearer " + login.token + "' GDAL_DISABLE_READDIR_ON_OPEN=YES ";
    const std::string caps = "WMTS:" + base + "/wmts/1.0.0/WMTSCapabilities.xml";
    auto [rc, out] = run_command(env + "gdalinfo '" + caps + "'");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("WMTS:" + base + "/wmts/1.0.0/WMTSCapabilities.xml,layer=base"), std::string::npos) << out;
    EXPECT_NE(out.find(",layer=objects"), std::string::npos) << out;

    // A small window over 渝中区 from the base layer, resampled to 64×64: non-empty pixels.
    const std::string tif = (work / "area.tif").string();
    std::tie(rc, out) =
        run_command(env +
                    "gdal_translate -q -of GTiff -outsize 64 64 -projwin_srs EPSG:4326 -projwin 106.49 29.58 "
                    "106.60 29.53 '" +
                    caps + ",layer=base' " + tif);
    EXPECT_EQ(rc, 0) << out;
    std::tie(rc, out) = run_command("gdalinfo -stats " + tif);
    EXPECT_EQ(rc, 0) << out;
    // Band 1 (red) of the basemap: district fill and lines are not black and not all one value.
    EXPECT_NE(out.find("Band 1"), std::string::npos) << out;
    auto at = out.find("STATISTICS_MAXIMUM=");
    ASSERT_NE(at, std::string::npos) << out;
    EXPECT_GT(std::stod(out.substr(at + 19)), 100.0) << out;
    auto sd = out.find("STATISTICS_STDDEV=");
    ASSERT_NE(sd, std::string::npos);
    EXPECT_GT(std::stod(out.substr(sd + 18)), 0.5) << out;

    std::error_code ec;
    fs::remove_all(work, ec);
}
