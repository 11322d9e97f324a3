// The `results` and `heat` tile layers on a real PostGIS (GIS-1..3, STAT-3): filters
// and their 400s, the legend API, reviewed reference images
// (TWINDRAW_UPDATE_REFERENCE=1 regenerates tests/fixtures/tiles/{results,heat}-*.png),
// heat tiles that agree across tile and metatile edges with one 512 px render, exact
// expiry when a result is submitted, the viewer's data scope, and the binned grid
// (heat_cell) equal to a from-scratch aggregation after inserts, updates and deletes.
#include "common-pg.hpp"
#include "tile-test-api.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"
#include "tiles/heat-render.hpp"
#include "tiles/tile-service.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;
namespace fs = std::filesystem;

namespace {

// 渝中区 with a bureau (900) and a sub-office (901), 大渡口区 with its bureau (910); 60
// market subjects in a cluster around 106.55-106.57, 29.55-29.56 and 4 far to the west
// (106.40, 29.60); one draw; a result for every subject: categories 01..10 in turn,
// years 2025/2026, units 900/901 alternately, submitted or accepted.
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.49 29.535, 106.60 29.54, 106.595 29.575, 106.50 29.567, 106.49 29.535)))', 4326)),
 ('500104', '大渡口区', 3, '500000', NULL);
INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES
 (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),
 (901, '渝中区解放碑市场监管所', 'sub_office', '500103', 900),
 (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL);
INSERT INTO app_user(id, account, name, password_hash) VALUES (77, 'zhangsan', '张三', 'x');
INSERT INTO market_subject(id, uscc, name, division_code, risk_level, geom)
SELECT i, lpad(i::text, 18, '0'), '测试主体' || i, '500103', 1 + (i % 4),
       CASE WHEN i <= 60 THEN ST_SetSRID(ST_MakePoint(106.55 + 0.002 * (i % 10), 29.55 + 0.0017 * (i / 10)), 4326)
            ELSE ST_SetSRID(ST_MakePoint(106.40 + 0.001 * (i - 60), 29.60), 4326) END
  FROM generate_series(1, 64) i;
SELECT setval('market_subject_id_seq', 100);
INSERT INTO draw(id, title, object_kind, importance, params, population_query, rules, strata, candidate_ids,
                 object_digest, inspector_pools, inspector_digest, entropy, seed, groups, per_group, result, drawn_unit_id)
VALUES (1, '测试抽取', 'market_subject', 'general', '{}', '全部', '[]', '[]', '{}', sha256('o'), '[]', sha256('i'),
        sha256('e'), sha256('s'), 1, 0, '{}', 900);
INSERT INTO inspection_job(job_no, draw_id, unit_id, object_kind, object_id, group_no, advance_notice, state,
                           inspected_on, result_category, qualified, submitted_at)
SELECT 'JC1-' || lpad(i::text, 4, '0'), 1, CASE WHEN i % 2 = 0 THEN 900 ELSE 901 END, 'market_subject', i, 1, 'required',
       CASE WHEN i % 3 = 0 THEN 'accepted' ELSE 'submitted' END,
       make_date(2025 + i % 2, 6, 1), lpad((1 + i % 10)::text, 2, '0'), i % 10 < 2, now()
  FROM generate_series(1, 64) i;
)SQL";

using twindraw::testing::count_pixels;
using twindraw::testing::tile_at;

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream b;
    b << in.rdbuf();
    return b.str();
}

long long opaque_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int, int, int, int a) { return a > 0; });
}

// Pixels whose largest channel difference exceeds `threshold` (0..255).
long long differing(const tiles::Rgba& a, const tiles::Rgba& b, int threshold) {
    EXPECT_EQ(a.width, b.width);
    EXPECT_EQ(a.height, b.height);
    if (a.width != b.width || a.height != b.height) return 1LL << 40;
    long long d = 0;
    for (size_t i = 0; i + 3 < a.pixels.size(); i += 4) {
        int worst = 0;
        for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(int(a.pixels[i + c]) - int(b.pixels[i + c])));
        d += worst > threshold;
    }
    return d;
}

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
    const auto a = tiles::decode_png(png), b = tiles::decode_png(read_all(ref));
    const long long d = differing(a, b, 24);
    EXPECT_LE(double(d), budget * double(a.width) * a.height)
        << name << ": " << d << " pixels differ (see tiles-rendered/" << name << ".png)";
}

class HeatTiles : public twindraw::testing::TileTestApi {
protected:
    const char* fixture_sql() const override { return kFixture; }

    fs::path cached(const std::string& layer, const tiles::TileId& t) {
        tiles::TileService paths(db.pool(), data_dir / "tiles");
        return paths.tile_path(layer, {}, "all", t);
    }

    // Rows of heat_cell that the from-scratch aggregation does not have, and the reverse.
    long long grid_mismatches() {
        return count(
            "SELECT count(*) FROM ((SELECT * FROM heat_cell EXCEPT SELECT * FROM heat_grid_fresh())"
            " UNION ALL (SELECT * FROM heat_grid_fresh() EXCEPT SELECT * FROM heat_cell)) d");
    }

};

}  // namespace

TEST_F(HeatTiles, BadFiltersAreJson400s) {
    for (const auto& bad :
         {"/tiles/results/3/6/3.png?year=99", "/tiles/results/3/6/3.png?year=20x5",
          "/tiles/results/3/6/3.png?year=1999", "/tiles/results/3/6/3.png?department=abc",
          "/tiles/results/3/6/3.png?department=0", "/tiles/results/3/6/3.png?task=-1",
          "/tiles/results/3/6/3.png?category=0%201", "/tiles/results/3/6/3.png?category=01,",
          "/tiles/results/3/6/3.png?what=problems", "/tiles/results/3/6/3.png?risk=1", "/tiles/heat/3/6/3.png?what=all",
          "/tiles/heat/3/6/3.png?category=01,", "/tiles/heat/3/6/3.png?category=0%201", "/tiles/heat/3/6/3.png?task=abc",
          "/tiles/heat/3/6/3.png?task=0", "/tiles/heat/3/6/3.png?risk=3", "/tiles/heat/3/6/3.png?department=1x",
          "/tiles/heat/3/9/3.png"}) {
        auto r = call(bad);
        ASSERT_EQ(r.status, 400) << bad << " " << r.body;
        auto code = nlohmann::json::parse(r.body)["error"]["code"].get<std::string>();
        EXPECT_TRUE(code == "bad_filter" || code == "bad_tile") << bad << " " << code;
        EXPECT_FALSE(nlohmann::json::parse(r.body)["error"]["message"].get<std::string>().empty());
    }
    EXPECT_EQ(call("/tiles/results/3/6/3.png?year=2026&department=900&task=5&category=08,07").status, 200);
    EXPECT_EQ(call("/tiles/heat/3/6/3.png?year=2026&department=900&what=problems").status, 200);
    EXPECT_EQ(call("/tiles/heat/3/6/3.png?year=2026&department=900&task=5&category=08,07&what=problems").status, 200);
}

// Task and category filters of the heat layer (migration 0027): the result points of
// the window are counted into the grid's own cells, so a filter that keeps every result
// draws exactly the grid's tile, and a task's tile is exactly the grid's tile once only
// that task's results remain.
TEST_F(HeatTiles, TaskAndCategoryFiltersCountTheResultPointsIntoTheGridsCells) {
    const std::string every = "category=01,02,03,04,05,06,07,08,09,10";  // every result of the fixture has one
    for (int z : {11, 13, 16}) {
        const auto t = tile_at(106.56, 29.555, z);
        for (const std::string& q : {std::string(), std::string("year=2026"), std::string("department=901"),
                                     std::string("what=problems&year=2025")}) {
            auto grid = call(url("heat", t, q));
            auto points = call(url("heat", t, q.empty() ? every : q + "&" + every));
            ASSERT_EQ(points.status, 200) << points.body;
            EXPECT_GT(opaque_pixels(tiles::decode_png(grid.body)), 0) << z << " " << q;
            EXPECT_EQ(differing(tiles::decode_png(points.body), tiles::decode_png(grid.body), 0), 0) << z << " " << q;
        }
    }
    const auto t = tile_at(106.56, 29.555, 13);
    auto all = call(url("heat", t));
    // One category: 6 of the 64 results, less heat; a code without results: none. Each
    // filter is its own cache key.
    auto one = call(url("heat", t, "category=08"));
    const long long one_px = opaque_pixels(tiles::decode_png(one.body));
    EXPECT_GT(one_px, 0);
    EXPECT_GT(differing(tiles::decode_png(one.body), tiles::decode_png(all.body), 24), 500);
    EXPECT_EQ(opaque_pixels(tiles::decode_png(call(url("heat", t, "category=99")).body)), 0);
    EXPECT_NE(etag(one), etag(all));
    tiles::TileService paths(db.pool(), data_dir / "tiles");
    tiles::Filters f08;
    f08.category = {"08"};
    EXPECT_TRUE(fs::exists(paths.tile_path("heat", f08, "all", t)));
    EXPECT_NE(paths.tile_path("heat", f08, "all", t), cached("heat", t));
    // Another district's viewer sees no heat of these results through a filter either.
    EXPECT_EQ(opaque_pixels(tiles::decode_png(call(url("heat", t, every), "unit", 910).body)), 0);

    // Task 5: the results of the first 30 subjects. No result has task 6.
    sql("UPDATE result_point r SET task_id = 5 FROM inspection_job j WHERE j.id = r.job_id AND j.object_id <= 30");
    auto task = call(url("heat", t, "task=5"));
    ASSERT_EQ(task.status, 200);
    EXPECT_GT(opaque_pixels(tiles::decode_png(task.body)), 0);
    EXPECT_EQ(opaque_pixels(tiles::decode_png(call(url("heat", t, "task=6")).body)), 0);
    auto task08 = call(url("heat", t, "task=5&category=08"));
    EXPECT_LT(opaque_pixels(tiles::decode_png(task08.body)), opaque_pixels(tiles::decode_png(task.body)));
    // Only task 5's results left: the grid's tile (expired by the delete) is the task's tile.
    sql("DELETE FROM result_point WHERE task_id IS DISTINCT FROM 5");
    auto grid = call(url("heat", t));
    EXPECT_NE(etag(grid), etag(all));
    EXPECT_EQ(differing(tiles::decode_png(grid.body), tiles::decode_png(task.body), 0), 0);
}

TEST_F(HeatTiles, LegendListsTheCategoriesWithDictionaryLabelsAndTheRamp) {
    auto r = call("/api/map/legend");
    ASSERT_EQ(r.status, 200) << r.body;
    auto doc = nlohmann::json::parse(r.body);
    ASSERT_EQ(doc["results"]["categories"].size(), 10u);
    EXPECT_EQ(doc["results"]["categories"][7]["code"], "08");
    EXPECT_EQ(doc["results"]["categories"][7]["label"], "发现问题需进一步调查处理");
    EXPECT_EQ(doc["results"]["categories"][7]["colour"], "#c62828");
    EXPECT_GE(doc["heat"]["stops"].size(), 3u);
    bool heat = false;
    for (const auto& l : doc["layers"]) heat = heat || l["name"] == "heat";
    EXPECT_TRUE(heat);
}

TEST_F(HeatTiles, ResultAndHeatTilesMatchTheReviewedReferences) {
    auto results = call(url("results", tile_at(106.558, 29.554, 15)));
    ASSERT_EQ(results.status, 200) << results.body;
    EXPECT_GT(opaque_pixels(tiles::decode_png(results.body)), 200);
    expect_matches_reference(results.body, "results-z15", 0.01);

    auto heat = call(url("heat", tile_at(106.56, 29.555, 13)));
    ASSERT_EQ(heat.status, 200) << heat.body;
    EXPECT_GT(opaque_pixels(tiles::decode_png(heat.body)), 2000);
    expect_matches_reference(heat.body, "heat-z13", 0.01);
    auto problems = call(url("heat", tile_at(106.56, 29.555, 13), "what=problems"));
    ASSERT_EQ(problems.status, 200);
    expect_matches_reference(problems.body, "heat-problems-z13", 0.01);
    // Problems are 8 of every 10 results here: fewer, so less colour than all inspections.
    EXPECT_NE(etag(problems), etag(heat));

    // Filters select: one category draws fewer pixels; a year without results draws none.
    auto one = call(url("results", tile_at(106.558, 29.554, 15), "category=08"));
    ASSERT_EQ(one.status, 200);
    EXPECT_LT(opaque_pixels(tiles::decode_png(one.body)), opaque_pixels(tiles::decode_png(results.body)));
    EXPECT_GT(opaque_pixels(tiles::decode_png(one.body)), 0);
    auto none = call(url("heat", tile_at(106.56, 29.555, 13), "year=2020"));
    EXPECT_EQ(opaque_pixels(tiles::decode_png(none.body)), 0);
    auto year = call(url("heat", tile_at(106.56, 29.555, 13), "year=2026"));
    EXPECT_GT(opaque_pixels(tiles::decode_png(year.body)), 0);
    EXPECT_NE(etag(year), etag(heat));
    // department=901 is a sub-office: half the results; 900 is its parent: all of them.
    auto sub = call(url("heat", tile_at(106.56, 29.555, 13), "department=901"));
    auto parent = call(url("heat", tile_at(106.56, 29.555, 13), "department=900"));
    EXPECT_NE(etag(sub), etag(heat));
    EXPECT_EQ(differing(tiles::decode_png(parent.body), tiles::decode_png(heat.body), 0), 0);
}

TEST_F(HeatTiles, TwoByTwoHeatTilesAcrossAMetatileCornerAgreeWithOne512PixelRender) {
    for (int z : {12, 14, 16}) {
        // The metatile corner nearest the cluster, with 169 results spread ±48 px around
        // it, so that heat crosses both seams of the 2×2 block that meets there.
        const auto near = tile_at(106.56, 29.555, z);
        const int x0 = (near.x + 4) / 8 * 8, y0 = (near.y + 4) / 8 * 8;
        const auto corner = tiles::tile_bounds(z, x0, y0);
        const double px = (corner.maxx - corner.minx) / 256;
        std::ostringstream points;
        for (int i = 0; i < 169; ++i) {
            double lon, lat;
            tiles::mercator_to_lonlat(corner.minx + (i % 13 - 6) * 8 * px, corner.maxy + (i / 13 - 6) * 8 * px, lon,
                                      lat);
            points << (i ? "," : "") << "(ST_SetSRID(ST_MakePoint(" << std::setprecision(12) << lon << "," << lat
                   << "), 4326), 2026, 900, " << (i % 3 == 0 ? "true" : "false") << ")";
        }
        sql("DELETE FROM result_point WHERE job_id IS NULL;"
            "INSERT INTO result_point(geom, inspected_year, unit_id, problem) VALUES " +
            points.str());

        tiles::Rgba stitched{512, 512, std::vector<std::uint8_t>(512 * 512 * 4)};
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
                auto r = call(url("heat", {z, x0 - 1 + dx, y0 - 1 + dy}));
                ASSERT_EQ(r.status, 200);
                auto img = tiles::decode_png(r.body);
                for (int row = 0; row < 256; ++row)
                    std::copy_n(&img.pixels[size_t(row) * 256 * 4], 256 * 4,
                                &stitched.pixels[(size_t(dy * 256 + row) * 512 + dx * 256) * 4]);
            }
        const auto a = tiles::tile_bounds(z, x0 - 1, y0 - 1), b = tiles::tile_bounds(z, x0, y0);
        tiles::TileService direct(db.pool(), data_dir / "direct");
        auto whole = tiles::decode_png(direct.render_area("heat", {a.minx, b.miny, b.maxx, a.maxy}, z, 512, 512, {}));
        // The heat crosses both seams: colour on both sides of the middle column and row.
        long long across_x = 0, across_y = 0;
        for (int i = 0; i < 512; ++i) {
            across_x +=
                whole.pixels[(size_t(i) * 512 + 255) * 4 + 3] > 0 && whole.pixels[(size_t(i) * 512 + 256) * 4 + 3] > 0;
            across_y +=
                whole.pixels[(size_t(255) * 512 + i) * 4 + 3] > 0 && whole.pixels[(size_t(256) * 512 + i) * 4 + 3] > 0;
        }
        EXPECT_GT(across_x, 40) << "z" << z << ": no heat across the seam, the test would prove nothing";
        EXPECT_GT(across_y, 40) << "z" << z;
        const long long d = differing(stitched, whole, 16);
        EXPECT_LE(d, 512 * 512 / 200) << "z" << z << ": " << d << " of 262144 pixels differ";
        if (z == 14) expect_matches_reference(tiles::encode_png(stitched), "heat-z14-stitched", 0.01);
    }
}

TEST_F(HeatTiles, ASubmittedResultExpiresExactlyTheTilesItTouches) {
    // Subject 80 stands alone at 106.58, 29.57 (no result yet); the far results stay far.
    sql("INSERT INTO market_subject(id, uscc, name, division_code, risk_level, geom) VALUES"
        " (80, '000000000000000080', '新主体', '500103', 2, ST_SetSRID(ST_MakePoint(106.58, 29.57), 4326));"
        "INSERT INTO inspection_job(job_no, draw_id, unit_id, object_kind, object_id, group_no, advance_notice)"
        " VALUES ('JC1-0080', 1, 900, 'market_subject', 80, 1, 'required')");
    const std::vector<int> zooms = {9, 12, 14, 16};
    std::map<std::string, std::map<int, std::string>> before;
    for (const std::string layer : {"results", "heat"})
        for (int z : zooms) {
            auto r = call(url(layer, tile_at(106.58, 29.57, z)));
            ASSERT_EQ(r.status, 200);
            before[layer][z] = etag(r);
        }
    const auto far = tile_at(106.40, 29.60, 14);
    for (const std::string layer : {"results", "heat"}) ASSERT_EQ(call(url(layer, far)).status, 200);
    const auto far_time = fs::last_write_time(cached("heat", far));
    const auto far_bytes = read_all(cached("heat", far));
    ASSERT_GT(opaque_pixels(tiles::decode_png(far_bytes)), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

    // Saving a draft changes nothing on the map; submitting does.
    sql("UPDATE inspection_job SET state = 'draft', result_category = '07' WHERE job_no = 'JC1-0080'");
    EXPECT_EQ(count("SELECT count(*) FROM tile_dirty WHERE layer IN ('results', 'heat')"), 0);
    sql("UPDATE inspection_job SET state = 'submitted', inspected_on = '2026-11-30', submitted_at = now()"
        " WHERE job_no = 'JC1-0080'");
    EXPECT_EQ(count("SELECT count(*) FROM tile_dirty WHERE layer IN ('results', 'heat')"), 2);

    ASSERT_EQ(call(url("base", tile_at(106.40, 29.60, 5))).status, 200);  // any tile request consumes the queue
    for (const std::string layer : {"results", "heat"})
        for (int z : zooms) EXPECT_FALSE(fs::exists(cached(layer, tile_at(106.58, 29.57, z)))) << layer << " z" << z;
    ASSERT_TRUE(fs::exists(cached("heat", far)));
    EXPECT_EQ(fs::last_write_time(cached("heat", far)), far_time);
    EXPECT_EQ(read_all(cached("heat", far)), far_bytes);
    EXPECT_TRUE(fs::exists(cached("results", far)));

    for (const std::string layer : {"results", "heat"})
        for (int z : {12, 14, 16}) {
            auto r = call(url(layer, tile_at(106.58, 29.57, z)));
            ASSERT_EQ(r.status, 200);
            EXPECT_NE(etag(r), before[layer][z]) << layer << " z" << z;
        }
    EXPECT_EQ(fs::last_write_time(cached("heat", far)), far_time);

    // Returning the result takes it off the map again: the tiles are as before it.
    sql("UPDATE inspection_job SET state = 'returned' WHERE job_no = 'JC1-0080'");
    for (const std::string layer : {"results", "heat"})
        for (int z : {12, 14, 16}) EXPECT_EQ(etag(call(url(layer, tile_at(106.58, 29.57, z)))), before[layer][z]);
}

TEST_F(HeatTiles, ResultsAndHeatFollowTheViewersDataScope) {
    const auto t = tile_at(106.56, 29.555, 13);
    auto all = call(url("results", t));
    auto own = call(url("results", t), "unit", 901);    // the sub-office: its own half
    auto other = call(url("results", t), "unit", 910);  // another district: nothing
    ASSERT_EQ(other.status, 200);
    EXPECT_EQ(opaque_pixels(tiles::decode_png(other.body)), 0);
    EXPECT_GT(opaque_pixels(tiles::decode_png(own.body)), 0);
    EXPECT_NE(etag(own), etag(all));
    auto heat_other = call(url("heat", t), "unit", 910);
    EXPECT_EQ(opaque_pixels(tiles::decode_png(heat_other.body)), 0);
    auto heat_tree = call(url("heat", t), "unit_tree", 900);  // bureau and its sub-office: everything
    auto heat_all = call(url("heat", t));
    EXPECT_EQ(differing(tiles::decode_png(heat_tree.body), tiles::decode_png(heat_all.body), 0), 0);
    auto heat_own = call(url("heat", t), "unit", 901);
    EXPECT_NE(etag(heat_own), etag(heat_all));
}

TEST_F(HeatTiles, TheGridStaysEqualToAFromScratchAggregation) {
    ASSERT_EQ(count("SELECT count(*) FROM result_point"), 64);
    EXPECT_GT(count("SELECT count(*) FROM heat_cell"), 64);
    EXPECT_EQ(grid_mismatches(), 0);
    EXPECT_EQ(count("SELECT sum(n) FROM heat_cell WHERE level = 0 AND year = 0 AND unit_id = 0"), 64);
    EXPECT_EQ(count("SELECT sum(p) FROM heat_cell WHERE level = 0 AND year = 0 AND unit_id = 0"),
              51);  // all but categories 01 and 02

    // Category and year changes, a move to another unit, a return (delete), a resubmit.
    sql("UPDATE inspection_job SET result_category = '01', qualified = true WHERE object_id IN (8, 9, 18)");
    sql("UPDATE inspection_job SET inspected_on = '2024-03-01' WHERE object_id BETWEEN 20 AND 25");
    sql("UPDATE inspection_job SET unit_id = 910 WHERE object_id IN (30, 31)");
    sql("UPDATE inspection_job SET state = 'returned' WHERE object_id BETWEEN 40 AND 45");
    sql("UPDATE inspection_job SET state = 'submitted' WHERE object_id = 42");
    EXPECT_EQ(grid_mismatches(), 0);
    EXPECT_EQ(count("SELECT count(*) FROM result_point"), 64 - 5);

    // Bulk history without jobs (one statement, one grid update), moved points, deletes.
    sql("INSERT INTO result_point(geom, inspected_year, unit_id, problem)"
        " SELECT ST_SetSRID(ST_MakePoint(106.3 + (i % 97) * 0.003, 29.4 + (i % 89) * 0.002), 4326), 2020 + i % 5,"
        "        CASE WHEN i % 3 = 0 THEN NULL ELSE 900 END, i % 4 = 0 FROM generate_series(1, 12000) i");
    EXPECT_EQ(grid_mismatches(), 0);
    sql("UPDATE result_point SET geom = ST_Translate(geom, 0.01, 0) WHERE job_id IS NULL AND id % 7 = 0");
    sql("DELETE FROM result_point WHERE job_id IS NULL AND id % 5 = 0");
    sql("UPDATE result_point SET problem = NOT problem WHERE id % 11 = 0");
    EXPECT_EQ(grid_mismatches(), 0);
    EXPECT_EQ(count("SELECT sum(n) FROM heat_cell WHERE level = 0 AND year = 0 AND unit_id = 0"),
              count("SELECT count(*) FROM result_point"));
    sql("DELETE FROM result_point");
    EXPECT_EQ(count("SELECT count(*) FROM heat_cell"), 0);
}
