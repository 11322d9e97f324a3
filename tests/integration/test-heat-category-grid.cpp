// The per-category heat grid heat_category_cell (migration 0032; issue 5 benchmark, GIS-2,
// STAT-3): kept equal to a from-scratch aggregation by its statement-level triggers, a
// category-filtered heat tile drawn from it equals the tile counted from the result
// points pixel for pixel at every level it holds, and viewers with a narrower scope than
// 'all' keep the points' tile (they may see results outside their units through jobs).
#include "common-pg.hpp"
#include "tile-test-api.hpp"

#include "tiles/heat-render.hpp"
#include "tiles/tile-service.hpp"

#include <algorithm>
#include <filesystem>
#include <string>

using namespace twindraw;
namespace fs = std::filesystem;

namespace {

// 渝中区 with a bureau (900) and a sub-office (901), 大渡口区 with its bureau (910);
// inspector 5 of 910; 40 market subjects around 106.55-106.57, 29.55-29.56 with one
// submitted job each of unit 900, categories 01..10 in turn, the last ten done by
// inspector 5; 6,000 results without jobs spread over 106.2-106.9 × 29.3-29.9: categories
// 01..10 or none, years 2019-2026, units 900, 901 or none.
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.49 29.535, 106.60 29.54, 106.595 29.575, 106.50 29.567, 106.49 29.535)))', 4326)),
 ('500104', '大渡口区', 3, '500000', NULL);
INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES
 (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),
 (901, '渝中区解放碑市场监管所', 'sub_office', '500103', 900),
 (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL);
INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES (5, '李四', '500104', 910, 'law_enforcement');
INSERT INTO app_user(id, account, name, password_hash) VALUES (77, 'zhangsan', '张三', 'x');
INSERT INTO market_subject(id, uscc, name, division_code, risk_level, geom)
SELECT i, lpad(i::text, 18, '0'), '测试主体' || i, '500103', 1 + (i % 4),
       ST_SetSRID(ST_MakePoint(106.55 + 0.002 * (i % 10), 29.55 + 0.0017 * (i / 10)), 4326)
  FROM generate_series(1, 40) i;
INSERT INTO draw(id, title, object_kind, importance, params, population_query, rules, strata, candidate_ids,
                 object_digest, inspector_pools, inspector_digest, entropy, seed, groups, per_group, result, drawn_unit_id)
VALUES (1, '测试抽取', 'market_subject', 'general', '{}', '全部', '[]', '[]', '{}', sha256('o'), '[]', sha256('i'),
        sha256('e'), sha256('s'), 1, 0, '{}', 900);
INSERT INTO inspection_job(job_no, draw_id, unit_id, object_kind, object_id, group_no, advance_notice, state,
                           inspected_on, result_category, qualified, submitted_at, inspector_ids)
SELECT 'JC1-' || lpad(i::text, 4, '0'), 1, 900, 'market_subject', i, 1, 'required', 'submitted',
       make_date(2025 + i % 2, 6, 1), lpad((1 + i % 10)::text, 2, '0'), i % 10 < 2, now(),
       CASE WHEN i > 30 THEN ARRAY[5::bigint] ELSE '{}' END
  FROM generate_series(1, 40) i;
INSERT INTO result_point(geom, inspected_year, unit_id, category, problem)
SELECT ST_SetSRID(ST_MakePoint(106.2 + (hashint4(i) & 1023) / 1023.0 * 0.7, 29.3 + (hashint4(i + 7) & 1023) / 1023.0 * 0.6), 4326),
       2019 + i % 8, CASE i % 3 WHEN 0 THEN 900 WHEN 1 THEN 901 END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE lpad((1 + (hashint4(i + 3) & 1023) % 10)::text, 2, '0') END, i % 4 = 0
  FROM generate_series(1, 6000) i;
)SQL";

using twindraw::testing::count_pixels;
using twindraw::testing::tile_at;

long long opaque_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int, int, int, int a) { return a > 0; });
}

long long differing(const tiles::Rgba& a, const tiles::Rgba& b) {
    if (a.width != b.width || a.height != b.height) return 1LL << 40;
    long long d = 0;
    for (size_t i = 0; i + 3 < a.pixels.size(); i += 4)
        d += !std::equal(&a.pixels[i], &a.pixels[i] + 4, &b.pixels[i]);
    return d;
}

class HeatCategoryGrid : public twindraw::testing::TileTestApi {
protected:
    const char* fixture_sql() const override { return kFixture; }

    long long grid_mismatches() {
        return count(
            "SELECT count(*) FROM ((SELECT * FROM heat_category_cell EXCEPT SELECT * FROM heat_category_grid_fresh())"
            " UNION ALL (SELECT * FROM heat_category_grid_fresh() EXCEPT SELECT * FROM heat_category_cell)) d");
    }

    // The 512×512 image of the 2×2 tiles whose corner is nearest the jobs' cluster,
    // rendered by `service` as the owner (who sees every result point).
    tiles::Rgba render(tiles::TileService& service, int z, const tiles::Filters& f) {
        const auto t = tile_at(106.56, 29.555, z);
        const auto a = tiles::tile_bounds(z, t.x - 1, t.y - 1), b = tiles::tile_bounds(z, t.x, t.y);
        return tiles::decode_png(service.render_area("heat", {a.minx, b.miny, b.maxx, a.maxy}, z, 512, 512, f));
    }
};

tiles::Filters filters(std::vector<std::string> category, int year = 0, long long department = 0,
                       const std::string& what = {}) {
    tiles::Filters f;
    f.category = std::move(category);
    f.year = year;
    f.department = department;
    f.what = what;
    return f;
}

}  // namespace

TEST_F(HeatCategoryGrid, TheIncrementalGridStaysEqualToAFromScratchAggregation) {
    EXPECT_EQ(count("SELECT heat_category_max_level()"), tiles::heat::kCategoryGridMaxLevel);
    EXPECT_EQ(count("SELECT max(level) FROM heat_category_cell"), tiles::heat::kCategoryGridMaxLevel);
    EXPECT_GT(count("SELECT count(*) FROM heat_category_cell"), 6000);
    EXPECT_EQ(grid_mismatches(), 0);
    // The from-scratch grids read past row-level security: not for the application roles.
    EXPECT_EQ(count("SELECT count(*) FROM unnest(ARRAY['heat_category_grid_fresh()', 'heat_grid_fresh()']) f"
                    " WHERE has_function_privilege('twindraw_app', f, 'EXECUTE')"),
              0);
    EXPECT_EQ(count("SELECT count(*) FROM pg_roles WHERE rolname = 'twindraw_app'"), 1);
    // Level 0, all years: every result with a category once, per category.
    EXPECT_EQ(count("SELECT sum(n) FROM heat_category_cell WHERE level = 0 AND year = 0"),
              count("SELECT count(*) FROM result_point WHERE category IS NOT NULL"));
    EXPECT_EQ(count("SELECT sum(n) FROM heat_category_cell WHERE level = 0 AND year = 0 AND category = '07'"),
              count("SELECT count(*) FROM result_point WHERE category = '07'"));
    EXPECT_EQ(count("SELECT sum(p) FROM heat_category_cell WHERE level = 3 AND year = 2020"),
              count("SELECT count(*) FROM result_point WHERE category IS NOT NULL AND problem AND inspected_year = 2020"));

    // Through the jobs: a category change, a year, a unit, a return (delete), a resubmit.
    sql("UPDATE inspection_job SET result_category = '01', qualified = true WHERE object_id IN (8, 9, 18)");
    sql("UPDATE inspection_job SET inspected_on = '2021-03-01' WHERE object_id BETWEEN 20 AND 25");
    sql("UPDATE inspection_job SET unit_id = 910 WHERE object_id IN (30, 31)");
    sql("UPDATE inspection_job SET state = 'returned' WHERE object_id BETWEEN 33 AND 36");
    sql("UPDATE inspection_job SET state = 'submitted' WHERE object_id = 34");
    EXPECT_EQ(grid_mismatches(), 0);
    // In bulk: categories set, cleared and changed, moves, units, problems, inserts, deletes.
    sql("UPDATE result_point SET category = '05' WHERE category IS NULL AND id % 2 = 0");
    sql("UPDATE result_point SET category = NULL WHERE job_id IS NULL AND id % 17 = 0");
    sql("UPDATE result_point SET category = '10', problem = NOT problem WHERE job_id IS NULL AND id % 11 = 0");
    sql("UPDATE result_point SET geom = ST_Translate(geom, 0.02, -0.01) WHERE job_id IS NULL AND id % 7 = 0");
    sql("UPDATE result_point SET unit_id = NULL WHERE job_id IS NULL AND id % 5 = 1");
    sql("INSERT INTO result_point(geom, inspected_year, unit_id, category, problem)"
        " SELECT ST_SetSRID(ST_MakePoint(106.3 + (i % 97) * 0.003, 29.4 + (i % 89) * 0.002), 4326), 2020 + i % 5,"
        "        CASE WHEN i % 3 = 0 THEN NULL ELSE 910 END, CASE WHEN i % 4 = 0 THEN NULL ELSE '08' END, i % 2 = 0"
        "   FROM generate_series(1, 3000) i");
    sql("DELETE FROM result_point WHERE job_id IS NULL AND id % 5 = 0");
    EXPECT_EQ(grid_mismatches(), 0);
    EXPECT_EQ(count("SELECT sum(n) FROM heat_category_cell WHERE level = 0 AND year = 0"),
              count("SELECT count(*) FROM result_point WHERE category IS NOT NULL"));
    sql("DELETE FROM result_point");
    EXPECT_EQ(count("SELECT count(*) FROM heat_category_cell"), 0);
}

TEST_F(HeatCategoryGrid, ATileFromTheGridEqualsTheTileCountedFromThePointsPixelForPixel) {
    tiles::TileService from_grid(db.pool(), data_dir / "grid");
    tiles::TileService from_points(db.pool(), data_dir / "points");
    from_points.use_category_grid(false);
    const std::vector<tiles::Filters> cases = {
        filters({"01"}), filters({"07", "08"}), filters({"03"}, 2022), filters({"01", "05"}, 0, 0, "problems"),
        filters({"02"}, 0, 901), filters({"04"}, 2023, 900, "problems"), filters({"06"}, 0, 900),
    };
    // Zooms 6..14 read levels 4..12, the grid's; z16 (level 14) counts points either way.
    for (int z : {6, 9, 11, 13, 14, 16})
        for (const auto& f : cases) {
            const auto a = render(from_grid, z, f), b = render(from_points, z, f);
            if (z <= 11) {
                EXPECT_GT(opaque_pixels(b), 0) << "z" << z << " " << f.canonical() << ": empty, proves nothing";
            }
            EXPECT_EQ(differing(a, b), 0) << "z" << z << " " << f.canonical();
        }
    // The grid is what the coarse tiles read: counts changed behind its back change those
    // tiles (levels up to the grid's finest) and not z16's.
    sql("UPDATE heat_category_cell SET n = n * 20");
    for (int z : {6, 11, 14}) {
        const auto b = render(from_points, z, filters({"01"}));
        EXPECT_GT(opaque_pixels(b), 0) << z;
        EXPECT_GT(differing(render(from_grid, z, filters({"01"})), b), 100) << z;
    }
    const auto every = filters({"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"});
    const auto fine = render(from_points, 16, every);
    EXPECT_GT(opaque_pixels(fine), 0);
    EXPECT_EQ(differing(render(from_grid, 16, every), fine), 0);
}

TEST_F(HeatCategoryGrid, ViewersWithANarrowerScopeKeepTheirVisiblePointsTile) {
    const auto t = tile_at(106.56, 29.555, 11);  // level 9: the grid's, for scope 'all'
    ASSERT_LE(tiles::heat::level_for_zoom(11), tiles::heat::kCategoryGridMaxLevel);
    // Scope 'all' (the grid) and the owner's tile of the same filter agree.
    tiles::TileService owner(db.pool(), data_dir / "owner");
    owner.use_category_grid(false);
    const auto b = tiles::tile_bounds(t.z, t.x, t.y);
    auto all = call(url("heat", t, "category=03,07"));
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_GT(opaque_pixels(tiles::decode_png(all.body)), 0);
    EXPECT_EQ(differing(tiles::decode_png(all.body),
                        tiles::decode_png(owner.render_area("heat", b, t.z, 256, 256, filters({"03", "07"})))),
              0);
    // The sub-office sees its own results: the owner's tile of department 901.
    auto own = call(url("heat", t, "category=03,07"), "unit", 901);
    EXPECT_GT(opaque_pixels(tiles::decode_png(own.body)), 0);
    EXPECT_EQ(differing(tiles::decode_png(own.body),
                        tiles::decode_png(owner.render_area("heat", b, t.z, 256, 256, filters({"03", "07"}, 0, 901)))),
              0);
    EXPECT_GT(differing(tiles::decode_png(own.body), tiles::decode_png(all.body)), 100);
    // Another district sees nothing.
    EXPECT_EQ(opaque_pixels(tiles::decode_png(call(url("heat", t, "category=03,07"), "unit", 910).body)), 0);

    // User 77 is inspector 5 (of 910): with scope 'self' it sees the results of its own
    // jobs (subjects 31..40, unit 900) through result_point's policy; no unit grid row is
    // its, yet its tile shows them.
    sql("UPDATE app_user SET inspector_id = 5 WHERE id = 77");
    const std::string every = "category=01,02,03,04,05,06,07,08,09,10";
    auto self = call(url("heat", t, every), "self", 910);
    ASSERT_EQ(self.status, 200);
    EXPECT_GT(opaque_pixels(tiles::decode_png(self.body)), 0);
    // And it is exactly those results' tile: the owner's once only they are left.
    sql("DELETE FROM result_point r WHERE NOT EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = r.job_id"
        " AND 5 = ANY (j.inspector_ids))");
    ASSERT_EQ(count("SELECT count(*) FROM result_point"), 10);
    tiles::TileService after(db.pool(), data_dir / "after");
    EXPECT_EQ(differing(tiles::decode_png(self.body),
                        tiles::decode_png(after.render_area("heat", b, t.z, 256, 256, filters({"01", "02", "03", "04", "05",
                                                                                               "06", "07", "08", "09", "10"})))),
              0);
}
