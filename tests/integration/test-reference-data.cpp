// BASE-4, GIS-1, PUB-2: the code tables seeded from the pinned reference datasets.
// Needs data/refdata/node_modules (scripts/deps); its absence is a failure, not a skip.
#include "common-pg.hpp"

#include "geo/error.hpp"
#include "workflows/reference-data.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

std::string refdata_dir() { return std::string(TWINDRAW_SOURCE_DIR) + "/data/refdata/node_modules"; }
std::string data_dir() { return std::string(TWINDRAW_SOURCE_DIR) + "/data"; }

bool refdata_present() {
    return std::filesystem::exists(refdata_dir() + "/china-division/dist/streets.json") &&
           std::filesystem::exists(refdata_dir() + "/echarts/map/json/province/chongqing.json") &&
           std::filesystem::exists(refdata_dir() + "/chinese-days/dist/chinese-days.json");
}

std::string scalar(pqxx::connection& c, const std::string& sql) {
    pqxx::nontransaction tx(c);
    const auto r = tx.exec(sql);
    return r[0][0].is_null() ? std::string("<null>") : r[0][0].c_str();
}

// Everything the loader writes, including updated_at and the geometries' bytes: if a
// second load touched any row, this changes.
const char* const kDigestSql =
    "SELECT md5((SELECT string_agg(code || name || level || coalesce(parent_code, '') || "
    "coalesce(md5(ST_AsEWKB(geom)), '') || updated_at::text, '|' ORDER BY code) FROM division) || "
    "(SELECT string_agg(code || name || level || coalesce(parent_code, '') || updated_at::text, '|' "
    "ORDER BY code) FROM industry) || "
    "(SELECT string_agg(day || kind || name, '|' ORDER BY day) FROM work_calendar) || "
    "(SELECT string_agg(year || source, '|' ORDER BY year) FROM work_calendar_year))";

}  // namespace

TEST(ReferenceData, LoadsDivisionsGeometriesIndustriesAndCalendar) {
    ASSERT_TRUE(refdata_present()) << "reference data packages missing under " << refdata_dir()
                                   << ": run scripts/deps (npm install in data/refdata)";
    twindraw::testing::TempDatabase db;
    pqxx::connection conn(db.url());

    const auto s = twindraw::reference::load(conn, refdata_dir(), data_dir());
    EXPECT_GT(s.divisions, 40000);
    EXPECT_EQ(s.county_geometries, 38);
    EXPECT_EQ(s.industries, 117);
    EXPECT_GT(s.calendar_days, 700);
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division"), std::to_string(s.divisions));

    // Levels and the municipality rule: 重庆's counties hang directly under 500000.
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division WHERE level = 1"), "31");
    EXPECT_EQ(scalar(conn, "SELECT name FROM division WHERE code = '500000'"), "重庆市");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division WHERE code IN ('500100', '500200', '110100')"), "0");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division WHERE parent_code = '500000'"), "38");
    EXPECT_EQ(scalar(conn, "SELECT parent_code || name FROM division WHERE code = '500103'"), "500000渝中区");
    EXPECT_EQ(scalar(conn, "SELECT parent_code || name || level FROM division WHERE code = '500103003'"),
              "500103解放碑街道4");
    EXPECT_EQ(scalar(conn, "SELECT parent_code || level FROM division WHERE code = '440300'"), "4400002");
    EXPECT_EQ(scalar(conn, "SELECT parent_code FROM division WHERE code = '429004'"), "420000");  // 仙桃市
    EXPECT_EQ(scalar(conn, "SELECT level || name FROM division WHERE code = '441900'"), "2东莞市");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division d LEFT JOIN division p ON p.code = d.parent_code "
                           "WHERE d.level > 1 AND (p.code IS NULL OR p.level >= d.level)"),
              "0");

    // All 38 counties of 重庆 with a valid, non-empty multipolygon.
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division WHERE parent_code = '500000' AND geom IS NOT NULL "
                           "AND ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND GeometryType(geom) = 'MULTIPOLYGON'"),
              "38");
    // 梁平区 and 武隆区 come from echarts' older 梁平县/武隆县 features.
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division WHERE code IN ('500155', '500156') AND geom IS NOT NULL"),
              "2");
    // 重庆市 covers about 82,400 km²; the simplified ECharts outline must come close.
    const double km2 = std::stod(scalar(
        conn, "SELECT sum(ST_Area(geom::geography)) / 1e6 FROM division WHERE parent_code = '500000'"));
    EXPECT_GT(km2, 78000.0);
    EXPECT_LT(km2, 87000.0);
    // 解放碑 (WGS84 106.5733, 29.5602) lies in 渝中区 and in no other county.
    EXPECT_EQ(scalar(conn, "SELECT string_agg(code, ',') FROM division WHERE parent_code = '500000' "
                           "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(106.5733, 29.5602), 4326))"),
              "500103");
    // Counties barely overlap each other (shared borders, simplification slivers only).
    const double overlap = std::stod(scalar(
        conn, "SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) / 1e6 "
              "FROM division a JOIN division b ON a.code < b.code AND ST_Intersects(a.geom, b.geom) "
              "WHERE a.parent_code = '500000' AND b.parent_code = '500000'"));
    EXPECT_LT(overlap, 50.0);

    // GB/T 4754-2017: 20 门类, 97 大类, each 大类 under its 门类.
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM industry WHERE level = 1"), "20");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM industry WHERE level = 2"), "97");
    EXPECT_EQ(scalar(conn, "SELECT parent_code || name FROM industry WHERE code = '62'"), "H餐饮业");
    EXPECT_EQ(scalar(conn, "SELECT parent_code || name FROM industry WHERE code = '52'"), "F零售业");
    EXPECT_EQ(scalar(conn, "SELECT parent_code FROM industry WHERE code = '43'"), "C");
    EXPECT_EQ(scalar(conn, "SELECT parent_code FROM industry WHERE code = '97'"), "T");

    // 2025 calendar: 元旦 holiday, 春节 make-up workday on Sunday 26 January, 国庆 from 1 October.
    EXPECT_EQ(scalar(conn, "SELECT kind || name FROM work_calendar WHERE day = '2025-01-01'"), "holiday元旦");
    EXPECT_EQ(scalar(conn, "SELECT kind FROM work_calendar WHERE day = '2025-01-26'"), "workday");
    EXPECT_EQ(scalar(conn, "SELECT kind FROM work_calendar WHERE day = '2025-10-08'"), "holiday");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM work_calendar WHERE day BETWEEN '2025-01-01' AND '2025-12-31' "
                           "AND kind = 'holiday'"),
              "28");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM work_calendar WHERE day BETWEEN '2025-01-01' AND '2025-12-31' "
                           "AND kind = 'workday'"),
              "5");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM work_calendar_year WHERE year BETWEEN 2004 AND 2025"), "22");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM work_calendar"), std::to_string(s.calendar_days));
}

TEST(ReferenceData, SecondLoadChangesNothing) {
    ASSERT_TRUE(refdata_present()) << "reference data packages missing under " << refdata_dir()
                                   << ": run scripts/deps (npm install in data/refdata)";
    twindraw::testing::TempDatabase db;
    pqxx::connection conn(db.url());
    const auto first = twindraw::reference::load(conn, refdata_dir(), data_dir());
    const std::string digest = scalar(conn, kDigestSql);
    const auto second = twindraw::reference::load(conn, refdata_dir(), data_dir());
    EXPECT_EQ(second.divisions, first.divisions);
    EXPECT_EQ(second.county_geometries, first.county_geometries);
    EXPECT_EQ(second.industries, first.industries);
    EXPECT_EQ(second.calendar_days, first.calendar_days);
    EXPECT_EQ(scalar(conn, kDigestSql), digest);

    // A hand edit is repaired by the next load, and only that row is touched.
    {
        pqxx::work tx(conn);
        tx.exec("UPDATE division SET name = '改错的名字' WHERE code = '500103'");
        tx.exec("DELETE FROM work_calendar WHERE day = '2025-01-01'");
        tx.commit();
    }
    twindraw::reference::load(conn, refdata_dir(), data_dir());
    EXPECT_EQ(scalar(conn, "SELECT name FROM division WHERE code = '500103'"), "渝中区");
    EXPECT_EQ(scalar(conn, "SELECT kind FROM work_calendar WHERE day = '2025-01-01'"), "holiday");
}

TEST(ReferenceData, MissingPackagesFailWithAHint) {
    twindraw::testing::TempDatabase db;
    pqxx::connection conn(db.url());
    try {
        twindraw::reference::load(conn, "/nonexistent/node_modules", data_dir());
        FAIL() << "load must throw when the packages are absent";
    } catch (const twindraw::Error& e) {
        EXPECT_EQ(e.code(), "refdata_missing");
        EXPECT_NE(e.message().find("scripts/deps"), std::string::npos);
    }
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM division"), "0");
}
