// The demo city (BASE-1..4, GIS-1): built on the real reference data, every subject
// inside its own county, valid USCCs, deterministic per seed, refusing a second run.
#include "common-pg.hpp"

#include "geo/error.hpp"
#include "workflows/demo-city.hpp"
#include "workflows/reference-data.hpp"
#include "workflows/uscc.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

std::string refdata_dir() { return std::string(TWINDRAW_SOURCE_DIR) + "/data/refdata/node_modules"; }

std::string scalar(pqxx::connection& c, const std::string& sql) {
    pqxx::nontransaction tx(c);
    const auto r = tx.exec(sql);
    return r[0][0].is_null() ? std::string("<null>") : r[0][0].c_str();
}

// Everything generated, independent of serial ids.
const char* const kDigestSql =
    "SELECT md5(concat("
    "(SELECT string_agg(concat_ws('|', uscc, name, address, phone, division_code, nature, enterprise_type_code, "
    "industry_code, risk_level, credit_level, legal_representative, licence_no, ST_AsText(geom)), E'\\n' "
    "ORDER BY uscc) FROM market_subject),"
    "(SELECT string_agg(concat_ws('|', name, short_name, kind, division_code, phone, address), E'\\n' "
    "ORDER BY name) FROM authority),"
    "(SELECT string_agg(concat_ws('|', i.name, i.phone, i.division_code, a.name, s.name, i.category, "
    "i.qualifications::text, i.specialties::text, i.certificate_no, i.is_leader), E'\\n' "
    "ORDER BY i.certificate_no, i.name, i.phone) FROM inspector i JOIN authority a ON a.id = i.authority_id "
    "LEFT JOIN section s ON s.id = i.section_id)))";

class DemoCity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ASSERT_TRUE(std::filesystem::exists(refdata_dir() + "/china-division/dist/streets.json"))
            << "reference data packages missing under " << refdata_dir()
            << ": run scripts/deps (npm install in data/refdata)";
    }
    void SetUp() override {
        conn_ = std::make_unique<pqxx::connection>(db_.url());
        twindraw::reference::load(*conn_, refdata_dir(), std::string(TWINDRAW_SOURCE_DIR) + "/data");
    }
    twindraw::testing::TempDatabase db_;
    std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

TEST_F(DemoCity, BuildsARealisticChongqing) {
    std::vector<std::pair<long long, long long>> reports;
    const auto s = twindraw::demo::generate(db_.pool(), {.enterprises = 2000, .seed = 7},
                                            [&](long long done, long long total) { reports.push_back({done, total}); });
    auto& c = *conn_;
    EXPECT_EQ(s.enterprises, 2000);
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject"), "2000");
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.front(), std::make_pair(0LL, 2000LL));
    EXPECT_EQ(reports.back(), std::make_pair(2000LL, 2000LL));
    // The base layer's water: 长江 and 嘉陵江 as areas that meet at 朝天门 in 渝中区.
    EXPECT_EQ(scalar(c, "SELECT string_agg(name, ',' ORDER BY name) FROM water_feature WHERE ST_Dimension(geom) = 2"),
              "嘉陵江,长江");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM water_feature a JOIN water_feature b ON a.name = '长江' AND b.name = '嘉陵江'"
                        " AND ST_Intersects(a.geom, b.geom) JOIN division d ON d.code = '500103'"
                        " AND ST_Intersects(d.geom, ST_Intersection(a.geom, b.geom))"),
              "1");

    // Authorities: the city bureau, one bureau per county, 2–4 offices per county.
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM authority"), std::to_string(s.authorities));
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM authority WHERE name = '重庆市市场监督管理局' AND parent_id IS NULL"), "1");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM authority a JOIN division d ON d.code = a.division_code "
                        "WHERE a.kind = 'market_bureau' AND d.parent_code = '500000' "
                        "AND a.name = '重庆市' || d.name || '市场监督管理局'"),
              "38");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM (SELECT parent_id, count(*) n FROM authority WHERE kind = 'sub_office' "
                        "GROUP BY parent_id) t WHERE n BETWEEN 2 AND 4"),
              "38");
    // Each office sits in a real town of its own county and is named after it.
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM authority o JOIN authority p ON p.id = o.parent_id "
                        "JOIN division t ON t.code = o.division_code "
                        "WHERE o.kind = 'sub_office' AND (t.level <> 4 OR t.parent_code <> p.division_code "
                        "OR position(regexp_replace(t.name, '(街道|镇|乡)$', '') IN o.name) = 0)"),
              "0");
    EXPECT_GE(std::stoi(scalar(c, "SELECT count(*) FROM authority WHERE kind = 'cooperating'")), 5);
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM authority WHERE name = '重庆市生态环境局' AND kind = 'cooperating'"), "1");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM section"), std::to_string(s.sections));

    // Inspectors: a few hundred, all categories, leaders, qualifications and specialties.
    EXPECT_GE(s.inspectors, 200);
    EXPECT_LE(s.inspectors, 1000);
    EXPECT_EQ(scalar(c, "SELECT count(DISTINCT category) FROM inspector"), "3");
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM inspector WHERE is_leader")), 30);
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM inspector WHERE cardinality(qualifications) = 0 "
                        "OR cardinality(specialties) = 0"),
              "0");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM inspector WHERE name !~ '^[一-龥]{2,3}$'"), "0");
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM inspector WHERE '食品安全' = ANY(qualifications)")), 10);

    // Item list: ~20 items, key and general, some with cooperating departments.
    EXPECT_GE(s.items, 18);
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM inspection_item"), std::to_string(s.items));
    EXPECT_EQ(scalar(c, "SELECT count(DISTINCT importance) FROM inspection_item"), "2");
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM inspection_item WHERE cardinality(cooperating_authority_ids) > 0")), 5);
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM inspection_item i, unnest(i.cooperating_authority_ids) x "
                        "LEFT JOIN authority a ON a.id = x WHERE a.kind IS DISTINCT FROM 'cooperating'"),
              "0");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM inspection_item WHERE basis NOT LIKE '%《中华人民共和国%' "
                        "AND basis NOT LIKE '%办法》%' AND basis NOT LIKE '%条例》%'"),
              "0");

    // Every subject lies inside its own county's polygon.
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject m JOIN division d ON d.code = m.division_code "
                        "WHERE d.parent_code = '500000' AND ST_Within(m.geom, d.geom)"),
              "2000");
    // Spread over the city, more in the central districts than in remote counties.
    EXPECT_GE(std::stoi(scalar(c, "SELECT count(DISTINCT division_code) FROM market_subject")), 30);
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM market_subject WHERE division_code = '500112'")),
              std::stoi(scalar(c, "SELECT count(*) FROM market_subject WHERE division_code = '500229'")));
    // Addresses name a real town of the subject's county.
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject m WHERE NOT EXISTS (SELECT 1 FROM division t "
                        "WHERE t.parent_code = m.division_code AND m.address LIKE '%' || t.name || '%')"),
              "0");
    // Industries: retail and catering lead, manufacturing present; all real 大类 codes.
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject m LEFT JOIN industry i ON i.code = m.industry_code "
                        "WHERE i.level IS DISTINCT FROM 2"),
              "0");
    EXPECT_EQ(scalar(c, "SELECT i.parent_code FROM market_subject m JOIN industry i ON i.code = m.industry_code "
                        "GROUP BY i.parent_code ORDER BY count(*) DESC, i.parent_code LIMIT 1"),
              "F");
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM market_subject WHERE industry_code = '62'")), 100);
    EXPECT_GT(std::stoi(scalar(c, "SELECT count(*) FROM market_subject m JOIN industry i ON i.code = m.industry_code "
                                  "WHERE i.parent_code = 'C'")),
              50);
    EXPECT_EQ(scalar(c, "SELECT count(DISTINCT nature) FROM market_subject"), "3");
    EXPECT_EQ(scalar(c, "SELECT count(DISTINCT risk_level)::text || count(DISTINCT credit_level)::text FROM market_subject"), "44");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject WHERE (nature = '个体工商户') <> (enterprise_type_code = '9100')"),
              "0");
    EXPECT_EQ(scalar(c, "SELECT count(*) FROM market_subject WHERE name !~ '^[一-龥（）]+$'"), "0");

    // Unified social credit codes: valid, unique, carrying the county and nature.
    pqxx::nontransaction tx(c);
    int checked = 0;
    for (const auto& r : tx.exec("SELECT uscc, division_code, nature FROM market_subject")) {
        const std::string code = r[0].c_str();
        EXPECT_TRUE(twindraw::uscc::valid(code)) << code;
        EXPECT_EQ(code.substr(2, 6), r[1].c_str()) << code;
        const std::string nature = r[2].c_str();
        EXPECT_EQ(code[1], nature == "企业" ? '1' : nature == "个体工商户" ? '2' : '3') << code;
        ++checked;
    }
    EXPECT_EQ(checked, 2000);
}

TEST_F(DemoCity, SameSeedSameCityOtherSeedOtherCity) {
    twindraw::demo::generate(db_.pool(), {.enterprises = 2000, .seed = 42});
    const std::string first = scalar(*conn_, kDigestSql);
    twindraw::demo::generate(db_.pool(), {.enterprises = 2000, .seed = 42, .replace = true});
    EXPECT_EQ(scalar(*conn_, kDigestSql), first);
    twindraw::demo::generate(db_.pool(), {.enterprises = 2000, .seed = 43, .replace = true});
    EXPECT_NE(scalar(*conn_, kDigestSql), first);
    EXPECT_EQ(scalar(*conn_, "SELECT count(*) FROM market_subject"), "2000");
}

TEST_F(DemoCity, RefusesASecondRunUnlessReplacing) {
    const auto first = twindraw::demo::generate(db_.pool(), {.enterprises = 100, .seed = 1});
    try {
        twindraw::demo::generate(db_.pool(), {.enterprises = 100, .seed = 1});
        FAIL() << "a second demo run must be refused";
    } catch (const twindraw::Error& e) {
        EXPECT_EQ(e.code(), "demo_exists");
        EXPECT_EQ(e.kind(), twindraw::Error::Kind::Conflict);
    }
    EXPECT_EQ(scalar(*conn_, "SELECT count(*) FROM authority"), std::to_string(first.authorities));
    const auto again = twindraw::demo::generate(db_.pool(), {.enterprises = 300, .seed = 1, .replace = true});
    EXPECT_EQ(again.authorities, first.authorities);
    EXPECT_EQ(scalar(*conn_, "SELECT count(*) FROM market_subject"), "300");
    EXPECT_EQ(scalar(*conn_, "SELECT min(id) FROM authority"), "1");
}

TEST_F(DemoCity, FailureLeavesNothingBehind) {
    // A progress callback that throws midway aborts the one transaction.
    EXPECT_THROW(twindraw::demo::generate(db_.pool(), {.enterprises = 120000, .seed = 3},
                                          [](long long done, long long) {
                                              if (done >= 50000) throw std::runtime_error("stop");
                                          }),
                 std::runtime_error);
    EXPECT_EQ(scalar(*conn_, "SELECT count(*) FROM market_subject"), "0");
    EXPECT_EQ(scalar(*conn_, "SELECT count(*) FROM authority"), "0");
}

TEST(DemoCityWithoutReference, RefusesWithoutCountyGeometries) {
    twindraw::testing::TempDatabase db;
    try {
        twindraw::demo::generate(db.pool(), {.enterprises = 10});
        FAIL() << "the demo needs the reference data";
    } catch (const twindraw::Error& e) {
        EXPECT_EQ(e.code(), "reference_missing");
        EXPECT_EQ(e.kind(), twindraw::Error::Kind::Conflict);
    }
}
