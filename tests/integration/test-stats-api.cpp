// The leaders' view over HTTP (issue 5, PORTAL-1, STAT-3) on a hand-made city whose every
// number was counted by hand (the table in the fixture's comments): three districts with
// departments, plans and tasks in several states and years, jobs in every state with
// results (some with problems), an object outside every district. Signed in through the
// real login: a city leader (scope all) sees the whole city; a district leader (区县领导,
// scope district) only its district; filters by department and district; bad input 400/422;
// no session 401, no stats.read 403; the public portal's counts without login.
#include "demo-api.hpp"

#include <map>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;
using twindraw::testing::DemoApiTest;
using twindraw::testing::TempDatabase;

namespace {

// Divisions: 渝中 500103 (bureau 900, office 901), 大渡口 500104 (bureau 910), 江北 500105
// (bureau 920); 沙坪坝 500106 has no department, so it is no district of the platform.
// The city bureau 800 and the education commission 930 sit at 500000 (no district).
//
// Plans: P1 2026 distributed (900); P2 2026 distributed joint (800 + 930, distributed to
// 910 and 920); P3 2026 draft (910); P4 2025 distributed (920); P5 2026 distributed (920).
// Tasks: T1 of P1 approved (units 900, 901); T2 of P2 approved joint (800, 930, 910, 920);
// T3 of P1 created (900); T4 of P4 (2025) approved (920); T5 of P5 approved (920).
// Jobs (unit = drawing unit; object; inspectors; items; state; date; category/qualified):
//   J1  T1 901 subject1 (渝中, a town code)  {101,103} {1,2} accepted  2026-03-02 01 ok
//   J2  T1 901 subject2 (渝中)              {101,103} {1}   submitted 2026-03-02 07 not ok
//   J3  T1 901 subject3 (渝中)              {102}     {1}   pending
//   J4  T2 800 subject4 (大渡口)            {104,105} {2}   accepted  2026-04-10 06 ok (a problem)
//   J5  T2 800 subject6 (江北)              {105,106} {2,3} returned  2026-04-11
//   J6  T2 800 venue1   (江北)              {105}     {3}   accepted  2026-04-11 01 ok
//   J7  T2 800 subject8 (沙坪坝: no district) {106}   {2}   accepted  2026-04-11 01 ok
//   J8  T4 920 subject7 (江北)              {105}     {1}   accepted  2026-01-05 08 not ok
//   J9  —  910 subject5 (大渡口)            {104}     {3}   accepted  2025-12-30 01 ok
//   J10 —  910 subject4 (大渡口)            {104}     {1}   submitted 2026-04-10 01 ok
void load_city(const std::string& url) {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO division(code, name, level, parent_code, geom) VALUES"
        " ('500000', '重庆市', 1, NULL, NULL),"
        " ('500103', '渝中区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.50, 29.50, 106.60, 29.60, 4326))),"
        " ('500104', '大渡口区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.40, 29.40, 106.50, 29.50, 4326))),"
        " ('500105', '江北区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.60, 29.60, 106.70, 29.70, 4326))),"
        " ('500106', '沙坪坝区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.30, 29.50, 106.40, 29.60, 4326)));"
        "INSERT INTO division(code, name, level, parent_code) VALUES ('500103001', '七星岗街道', 4, '500103');"
        "INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES"
        " (800, '重庆市市场监督管理局', 'market_bureau', '500000', NULL),"
        " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),"
        " (901, '渝中区解放碑市场监管所', 'sub_office', '500103', 900),"
        " (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL),"
        " (920, '重庆市江北区市场监督管理局', 'market_bureau', '500105', NULL),"
        " (930, '重庆市教育委员会', 'cooperating', '500000', NULL);"
        "INSERT INTO inspection_item(id, domain, name, object_type, initiating_authority_id, importance) VALUES"
        " (1, '产品质量', '生产领域产品质量监督抽查', '产品生产企业', 800, 'general'),"
        " (2, '食品安全', '食品经营者经营活动的检查', '食品经营企业', 800, 'key'),"
        " (3, '特种设备', '特种设备使用单位的检查', '使用单位', 800, 'general');"
        "INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES"
        " (101, '执法甲', '500103', 900, 'law_enforcement'), (102, '执法乙', '500103', 900, 'law_enforcement'),"
        " (103, '执法丙', '500103', 901, 'law_enforcement'), (104, '执法丁', '500104', 910, 'law_enforcement'),"
        " (105, '执法戊', '500105', 920, 'law_enforcement'), (106, '执法己', '500105', 920, 'law_enforcement');"
        "INSERT INTO market_subject(id, uscc, name, division_code) VALUES"
        " (1, '000000000000000001', '渝中企业一', '500103001'), (2, '000000000000000002', '渝中企业二', '500103'),"
        " (3, '000000000000000003', '渝中企业三', '500103'), (4, '000000000000000004', '大渡口企业四', '500104'),"
        " (5, '000000000000000005', '大渡口企业五', '500104'), (6, '000000000000000006', '江北企业六', '500105'),"
        " (7, '000000000000000007', '江北企业七', '500105'), (8, '000000000000000008', '沙坪坝企业八', '500106');"
        "INSERT INTO venue(id, name, division_code) VALUES (1, '江北农贸市场', '500105');");
    tx.exec(
        "INSERT INTO annual_plan(id, year, name, plan_type, initiating_authority_id, cooperating_authority_ids,"
        "                        object_scope, start_date, end_date, state, target_unit_ids) VALUES"
        " (1, 2026, '渝中区2026年抽查计划', 'single', 900, '{}', '市场主体', '2026-01-01', '2026-12-31', "
        "'distributed', '{}'),"
        " (2, 2026, '全市2026年联合抽查计划', 'joint', 800, '{930}', '市场主体', '2026-01-01', '2026-12-31', "
        "'distributed', '{910,920}'),"
        " (3, 2026, '大渡口区2026年计划（草稿）', 'single', 910, '{}', '市场主体', '2026-01-01', '2026-12-31', "
        "'draft', '{}'),"
        " (4, 2025, '江北区2025年抽查计划', 'single', 920, '{}', '市场主体', '2025-01-01', '2025-12-31', "
        "'distributed', '{}'),"
        " (5, 2026, '江北区2026年抽查计划', 'single', 920, '{}', '市场主体', '2026-01-01', '2026-12-31', "
        "'distributed', '{}');"
        "INSERT INTO inspection_task(id, plan_id, name, task_type, initiating_authority_id, cooperating_authority_ids,"
        "                            start_date, end_date, state) VALUES"
        " (1, 1, '渝中区产品质量抽查', 'single', 900, '{}', '2026-02-01', '2026-06-30', 'approved'),"
        " (2, 2, '全市联合抽查', 'joint', 800, '{930}', '2026-03-01', '2026-06-30', 'approved'),"
        " (3, 1, '渝中区食品抽查（未审核）', 'single', 900, '{}', '2026-03-01', '2026-06-30', 'created'),"
        " (4, 4, '江北区2025年抽查', 'single', 920, '{}', '2025-10-01', '2025-12-31', 'approved'),"
        " (5, 5, '江北区2026年抽查', 'single', 920, '{}', '2026-05-01', '2026-06-30', 'approved');"
        "INSERT INTO task_unit(task_id, authority_id, unit_role) VALUES"
        " (1, 900, 'initiating'), (1, 901, 'executing'),"
        " (2, 800, 'initiating'), (2, 930, 'cooperating'), (2, 910, 'executing'), (2, 920, 'executing'),"
        " (3, 900, 'initiating'), (4, 920, 'initiating'), (5, 920, 'initiating');");
    // Four confirmed draws: of T1 (by 901), T2 (800), T4 (920), and one without a task (910).
    tx.exec(
        "INSERT INTO draw(id, task_id, title, object_kind, importance, params, population_query, rules, strata,"
        "                 candidate_ids, object_digest, inspector_pools, inspector_digest, entropy, seed, groups,"
        "                 per_group, result, status, drawn_unit_id, confirmed_at)"
        " SELECT d.id, d.task, '抽取' || d.id, 'market_subject', 'general', '{}', '测试', '[]', '[]', '{}',"
        "        decode(repeat('00', 32), 'hex'), '[]', decode(repeat('00', 32), 'hex'),"
        "        decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'), 1, 2, '{}', 'confirmed', d.unit, "
        "now()"
        "   FROM (VALUES (1, 1, 901), (2, 2, 800), (3, 4, 920), (4, NULL, 910)) AS d(id, task, unit)");
    tx.exec(
        "INSERT INTO inspection_job(job_no, draw_id, task_id, unit_id, object_kind, object_id, group_no,"
        "                           inspector_ids, item_ids, advance_notice, state, inspected_on,"
        "                           result_category, qualified) VALUES"
        " ('J1', 1, 1, 901, 'market_subject', 1, 1, '{101,103}', '{1,2}', 'required', 'accepted', '2026-03-02', '01', "
        "true),"
        " ('J2', 1, 1, 901, 'market_subject', 2, 1, '{101,103}', '{1}', 'required', 'submitted', '2026-03-02', '07', "
        "false),"
        " ('J3', 1, 1, 901, 'market_subject', 3, 2, '{102}', '{1}', 'required', 'pending', NULL, NULL, NULL),"
        " ('J4', 2, 2, 800, 'market_subject', 4, 1, '{104,105}', '{2}', 'forbidden', 'accepted', '2026-04-10', '06', "
        "true),"
        " ('J5', 2, 2, 800, 'market_subject', 6, 1, '{105,106}', '{2,3}', 'forbidden', 'returned', '2026-04-11', '01', "
        "true),"
        " ('J6', 2, 2, 800, 'venue', 1, 2, '{105}', '{3}', 'required', 'accepted', '2026-04-11', '01', true),"
        " ('J7', 2, 2, 800, 'market_subject', 8, 2, '{106}', '{2}', 'forbidden', 'accepted', '2026-04-11', '01', true),"
        " ('J8', 3, 4, 920, 'market_subject', 7, 1, '{105}', '{1}', 'required', 'accepted', '2026-01-05', '08', false),"
        " ('J9', 4, NULL, 910, 'market_subject', 5, 1, '{104}', '{3}', 'required', 'accepted', '2025-12-30', '01', "
        "true),"
        " ('J10', 4, NULL, 910, 'market_subject', 4, 1, '{104}', '{1}', 'required', 'submitted', '2026-04-10', '01', "
        "true)");
    // People: a city leader (leader, scope all, at the city bureau), 大渡口's district
    // leader (区县领导, scope district), and a task assigner (no stats.read).
    const std::string hash = accounts::hash_password(twindraw::testing::kDemoPassword);
    tx.exec_params(
        "INSERT INTO app_user(id, account, name, password_hash, must_change_password) VALUES"
        " (71, 'city_leader', '市领导', $1, false), (72, 'dadukou_leader', '大渡口区领导', $1, false),"
        " (73, 'yz_assigner_t', '渝中分配员', $1, false)",
        hash);
    tx.exec(
        "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
        " SELECT u, a, (SELECT id FROM role WHERE code = r), true FROM (VALUES"
        "  (71, 800, 'leader'), (72, 910, 'district_leader'), (73, 900, 'task_assigner')) AS t(u, a, r)");
    tx.commit();
}

// Not the demo city: the hand-made one above, through the same login and calls.
class StatsApi : public DemoApiTest {
protected:
    static void SetUpTestSuite() {
        db = new TempDatabase();
        load_city(db->url());
        start_api();
    }

    static void TearDownTestSuite() { stop(); }

    // A GET with the bearer token ("": without a session).
    static Response raw(const std::string& target, const std::string& bearer) {
        return DemoApiTest::raw("GET", target, "", bearer);
    }

    static json get(const std::string& account, const std::string& target, int status = 200) {
        auto r = raw(target, token(account));
        EXPECT_EQ(r.status, status) << target << ": " << r.body;
        return json::parse(r.body);
    }

    // {code: [tasks, inspections, enterprises_inspected, problem_enterprises]}
    static std::map<std::string, std::vector<long long>> by_district(const json& j) {
        std::map<std::string, std::vector<long long>> out;
        for (const auto& d : j["districts"])
            out[d["code"]] = {d["tasks"].get<long long>(), d["inspections"].get<long long>(),
                              d["enterprises_inspected"].get<long long>(), d["problem_enterprises"].get<long long>()};
        return out;
    }

    // [[id, first count, second count], ...] of top_departments (tasks, inspections) or
    // top_items (inspections, enterprises).
    static std::vector<std::vector<long long>> ranking(const json& list, const char* a, const char* b) {
        std::vector<std::vector<long long>> out;
        for (const auto& x : list)
            out.push_back({x["id"].get<long long>(), x[a].get<long long>(), x[b].get<long long>()});
        return out;
    }

    static std::vector<std::pair<std::string, long long>> per_day(const json& j) {
        std::vector<std::pair<std::string, long long>> out;
        for (const auto& d : j["per_day"]) out.emplace_back(d["date"], d["inspections"].get<long long>());
        return out;
    }

    static void expect_summary(const json& s, long long departments, long long plans, long long tasks,
                               long long inspections, long long enterprises, long long problems, long long items,
                               long long inspectors, long long times) {
        EXPECT_EQ(s["departments_active"], departments) << s;
        EXPECT_EQ(s["plans"], plans) << s;
        EXPECT_EQ(s["tasks"], tasks) << s;
        EXPECT_EQ(s["inspections"], inspections) << s;
        EXPECT_EQ(s["enterprises_inspected"], enterprises) << s;
        EXPECT_EQ(s["problem_enterprises"], problems) << s;
        EXPECT_EQ(s["items"], items) << s;
        EXPECT_EQ(s["inspectors"], inspectors) << s;
        EXPECT_EQ(s["inspector_times"], times) << s;
    }
};

using Counts = std::map<std::string, std::vector<long long>>;
using Rank = std::vector<std::vector<long long>>;
using Days = std::vector<std::pair<std::string, long long>>;

TEST_F(StatsApi, CityLeaderSeesEveryNumberOfTheCity) {
    auto j = get("city_leader", "/api/stats/overview?year=2026");
    // Departments: T1 900 901, T2 800 930 910 920, T5 920. Plans P1 P2 P5. Tasks T1 T2 T5.
    // Done: J1 J2 J4 J6 J8 J10 (J3 pending, J5 returned, J7 outside every district, J9 2025).
    // Enterprises s1 s2 s4 v1 s7; problems s2 (07) s4 (06) s7 (08); items 1 2 3;
    // inspectors 101 103 104 105; person-times 2+2+2+1+1+1.
    expect_summary(j["summary"], 6, 3, 3, 6, 5, 3, 3, 4, 9);
    // 渝中: T1; J1 J2; s1 s2; s2. 大渡口: T2 (unit 910, J4); J4 J10; s4; s4.
    // 江北: T2 (unit 920, J5 J6), T5; J6 J8; v1 s7; s7. 沙坪坝 has no department: not listed.
    EXPECT_EQ(by_district(j), (Counts{{"500103", {1, 2, 2, 1}}, {"500104", {1, 2, 1, 1}}, {"500105", {2, 2, 2, 1}}}));
    EXPECT_EQ(j["districts"][0]["name"], "渝中区");
    // Tasks then inspections: 920 (2 tasks, J8), 800 (1, J4 J6), 901 (1, J1 J2), 910 (1, J10), 900, 930.
    EXPECT_EQ(ranking(j["top_departments"], "tasks", "inspections"),
              (Rank{{920, 2, 1}, {800, 1, 2}, {901, 1, 2}, {910, 1, 1}, {900, 1, 0}, {930, 1, 0}}));
    EXPECT_EQ(j["top_departments"][0]["name"], "重庆市江北区市场监督管理局");
    // Item 1: J1 J2 J8 J10 (s1 s2 s7 s4); item 2: J1 J4; item 3: J6.
    EXPECT_EQ(ranking(j["top_items"], "inspections", "enterprises"), (Rank{{1, 4, 4}, {2, 2, 2}, {3, 1, 1}}));
    EXPECT_EQ(per_day(j), (Days{{"2026-01-05", 1}, {"2026-03-02", 2}, {"2026-04-10", 2}, {"2026-04-11", 1}}));
    EXPECT_EQ(j["year"], 2026);
    EXPECT_EQ(j["departments"].size(), 6u);

    // Another year: 2025 has P4, T4 (unit 920) and J9 only (J8 of T4 was inspected in 2026).
    auto y = get("city_leader", "/api/stats/overview?year=2025");
    expect_summary(y["summary"], 1, 1, 1, 1, 1, 0, 1, 1, 1);
    // T4 is carried out in 江北 (its unit 920, its job J8), whose inspection fell in 2026.
    EXPECT_EQ(by_district(y), (Counts{{"500103", {0, 0, 0, 0}}, {"500104", {0, 1, 1, 0}}, {"500105", {1, 0, 0, 0}}}));
}

TEST_F(StatsApi, DistrictFilterNarrowsEverythingButTheDistrictList) {
    auto j = get("city_leader", "/api/stats/overview?year=2026&district=500105");
    // 江北: tasks T2 T5 (plans P2 P5); done J6 J8; v1 s7, problem s7; items 3, 1; inspector
    // 105 twice; departments: 920 (of T2 and T5) only — 800 and 930 are not in 江北.
    expect_summary(j["summary"], 1, 2, 2, 2, 2, 1, 2, 1, 2);
    EXPECT_EQ(j["district"], "500105");
    EXPECT_EQ(j["districts"].size(), 3u);
    EXPECT_EQ(ranking(j["top_departments"], "tasks", "inspections"), (Rank{{920, 2, 1}}));
    EXPECT_EQ(ranking(j["top_items"], "inspections", "enterprises"), (Rank{{1, 1, 1}, {3, 1, 1}}));
    EXPECT_EQ(per_day(j), (Days{{"2026-01-05", 1}, {"2026-04-11", 1}}));
}

TEST_F(StatsApi, DepartmentFilterTakesTheDepartmentAndItsSubUnits) {
    // 渝中区局 900 with its office 901: T1 only (P1), J1 J2 (drawn by 901).
    auto j = get("city_leader", "/api/stats/overview?year=2026&department_id=900");
    expect_summary(j["summary"], 2, 1, 1, 2, 2, 1, 2, 2, 4);
    EXPECT_EQ(by_district(j), (Counts{{"500103", {1, 2, 2, 1}}, {"500104", {0, 0, 0, 0}}, {"500105", {0, 0, 0, 0}}}));
    EXPECT_EQ(ranking(j["top_departments"], "tasks", "inspections"), (Rank{{901, 1, 2}, {900, 1, 0}}));
    EXPECT_EQ(j["department_id"], 900);

    // The education commission 930 cooperates in T2 (P2): J4 J5 J6 J7 belong to it; done
    // in a district J4 J6.
    auto e = get("city_leader", "/api/stats/overview?year=2026&department_id=930");
    expect_summary(e["summary"], 1, 1, 1, 2, 2, 1, 2, 2, 3);
}

TEST_F(StatsApi, DistrictLeaderSeesOnlyItsDistrict) {
    auto j = get("dadukou_leader", "/api/stats/overview?year=2026");
    // Scope: the units of 大渡口 (910). T2 has 910 as executing unit; P2 was distributed to
    // 910. Jobs: row-level security shows those drawn by 910 (J9, J10) and, of the
    // approved joint task T2 that 910 takes part in, those its own inspector 104 carries
    // out (J4, drawn by the city bureau; 0023); not J5–J7 (other districts' inspectors).
    // Done in 2026: J4 (s4, a problem, item 2, 104 105) and J10 (s4, no problem, item 1, 104).
    expect_summary(j["summary"], 1, 1, 1, 2, 1, 1, 2, 2, 3);
    EXPECT_EQ(by_district(j), (Counts{{"500104", {1, 2, 1, 1}}}));
    // Departments rank by the drawing unit: J4 counts for the city bureau, outside the scope.
    EXPECT_EQ(ranking(j["top_departments"], "tasks", "inspections"), (Rank{{910, 1, 1}}));
    EXPECT_EQ(per_day(j), (Days{{"2026-04-10", 2}}));
    ASSERT_EQ(j["departments"].size(), 1u);
    EXPECT_EQ(j["departments"][0]["id"], 910);

    // Other districts and departments are outside the scope: 422, no numbers.
    auto d = get("dadukou_leader", "/api/stats/overview?year=2026&district=500103", 422);
    EXPECT_EQ(d["error"]["errors"][0]["field"], "district");
    EXPECT_EQ(d["error"]["errors"][0]["code"], "unknown_district");
    auto u = get("dadukou_leader", "/api/stats/overview?year=2026&department_id=900", 422);
    EXPECT_EQ(u["error"]["errors"][0]["field"], "department_id");

    // Its map has its district only; the city leader's has the three.
    auto m = get("dadukou_leader", "/api/stats/district-map");
    ASSERT_EQ(m["features"].size(), 1u);
    EXPECT_EQ(m["features"][0]["properties"]["code"], "500104");
    EXPECT_EQ(m["features"][0]["geometry"]["type"], "MultiPolygon");
    auto all = get("city_leader", "/api/stats/district-map");
    ASSERT_EQ(all["features"].size(), 3u);
    EXPECT_EQ(all["features"][2]["properties"]["name"], "江北区");
}

TEST_F(StatsApi, BadInputIsAJsonErrorNeverA500) {
    auto a = get("city_leader", "/api/stats/overview?year=20x6", 400);
    EXPECT_EQ(a["error"]["code"], "bad_year");
    EXPECT_EQ(a["error"]["field"], "year");
    auto b = get("city_leader", "/api/stats/overview?year=1999", 422);
    EXPECT_EQ(b["error"]["errors"][0]["field"], "year");
    auto c = get("city_leader", "/api/stats/overview?year=2026&department_id=99999", 422);
    EXPECT_EQ(c["error"]["errors"][0]["code"], "unknown_department");
    auto d = get("city_leader", "/api/stats/overview?year=2026&department_id=abc", 400);
    EXPECT_EQ(d["error"]["field"], "department_id");
    auto e = get("city_leader", "/api/stats/overview?year=2026&district=5001", 400);
    EXPECT_EQ(e["error"]["code"], "bad_district");
    // 沙坪坝 exists but has no department: not a district of the platform.
    auto f = get("city_leader", "/api/stats/overview?year=2026&district=500106", 422);
    EXPECT_EQ(f["error"]["errors"][0]["code"], "unknown_district");
    auto g = get("city_leader", "/api/stats/overview?year=2026&department_id=930&district=500999", 422);
    EXPECT_EQ(g["error"]["errors"].size(), 1u) << "930 is fine, 500999 is not";
}

TEST_F(StatsApi, PermissionsAndThePublicPortal) {
    EXPECT_EQ(raw("/api/stats/overview?year=2026", "").status, 401);
    EXPECT_EQ(raw("/api/stats/district-map", "").status, 401);
    auto f = get("yz_assigner_t", "/api/stats/overview?year=2026", 403);
    EXPECT_EQ(f["error"]["code"], "forbidden");

    // The portal: no login, the whole city, the same counts as the city leader's.
    auto r = raw("/api/public/stats?year=2026", "");
    ASSERT_EQ(r.status, 200) << r.body;
    auto p = json::parse(r.body);
    expect_summary(p["summary"], 6, 3, 3, 6, 5, 3, 3, 4, 9);
    EXPECT_EQ(by_district(p), (Counts{{"500103", {1, 2, 2, 1}}, {"500104", {1, 2, 1, 1}}, {"500105", {2, 2, 2, 1}}}));
    EXPECT_FALSE(p.contains("departments"));
    // Signed in as the district leader, the portal still shows the city.
    auto q = json::parse(raw("/api/public/stats?year=2026", token("dadukou_leader")).body);
    EXPECT_EQ(q["summary"], p["summary"]);
    EXPECT_EQ(raw("/api/public/stats?year=abcd", "").status, 400);
    EXPECT_EQ(raw("/api/public/stats?year=2200", "").status, 422);
}

}  // namespace
