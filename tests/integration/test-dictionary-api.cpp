// The data dictionary and the working-day calendar (SYS-4) through dispatch() on a real
// PostGIS: seeded categories, CRUD with search, duplicates 409, validation 422 in
// Chinese, permissions 401/403; a year's holidays and make-up days edited over HTTP and
// the SQL functions agreeing with the C++ calendar.
#include "system-api-fixture.hpp"

#include "workflows/working-days.hpp"

using namespace twindraw;
using twindraw::testing::SystemApi;

namespace {

class DictionaryApi : public SystemApi {};

// The official 2026 Spring Festival and New Year schedule (国办发明电〔2025〕7号).
const char* k2026 = R"({"days":[
  {"day":"2026-01-01","kind":"holiday","name":"元旦"},{"day":"2026-01-02","kind":"holiday","name":"元旦"},
  {"day":"2026-01-03","kind":"holiday","name":"元旦"},{"day":"2026-01-04","kind":"workday","name":"元旦调休上班"},
  {"day":"2026-02-14","kind":"workday","name":"春节调休上班"},
  {"day":"2026-02-15","kind":"holiday","name":"春节"},{"day":"2026-02-16","kind":"holiday","name":"春节"},
  {"day":"2026-02-17","kind":"holiday","name":"春节"},{"day":"2026-02-18","kind":"holiday","name":"春节"},
  {"day":"2026-02-19","kind":"holiday","name":"春节"},{"day":"2026-02-20","kind":"holiday","name":"春节"},
  {"day":"2026-02-21","kind":"holiday","name":"春节"},{"day":"2026-02-22","kind":"holiday","name":"春节"},
  {"day":"2026-02-23","kind":"holiday","name":"春节"},{"day":"2026-02-28","kind":"workday","name":"春节调休上班"}]})";

}  // namespace

TEST_F(DictionaryApi, SeededCategoriesHoldTheTenCheckResults) {
    auto r = as(kBoth, "GET", "/api/dict/entries?category=check_result&enabled=true");
    ASSERT_EQ(r.status, 200) << r.body;
    auto list = parse(r);
    ASSERT_EQ(list["total"], 10);
    EXPECT_EQ(list["items"][0]["label"], "未发现问题");
    EXPECT_EQ(list["items"][9]["label"], "作出行政决定等依法应当公示的情况");
    auto cats = parse(as(kBoth, "GET", "/api/dict/categories"));
    EXPECT_EQ(cats["items"][0]["name"], "检查结果类别");
    EXPECT_EQ(cats["items"][0]["entries"], 10);
    EXPECT_EQ(anonymous("GET", "/api/dict/categories").status, 401);
}

TEST_F(DictionaryApi, CategoriesAndEntriesAreMaintainedAndSearched) {
    const std::string cat = R"({"code":"appeal_reason","name":"申诉理由","remark":"检查结果申诉","sort_order":30})";
    EXPECT_EQ(anonymous("POST", "/api/dict/categories", cat).status, 401);
    EXPECT_EQ(as(kBoth, "POST", "/api/dict/categories", cat).status, 403);
    auto r = call("POST", "/api/dict/categories", cat);
    ASSERT_EQ(r.status, 201) << r.body;
    const long long cid = parse(r)["id"];
    r = call("POST", "/api/dict/categories", cat);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["message"], "分类编码已存在");

    const std::string entry = R"({"category_id":)" + std::to_string(cid) + R"(,"code":"fact","label":"认定事实有误"})";
    EXPECT_EQ(as(kBoth, "POST", "/api/dict/entries", entry).status, 403);
    r = call("POST", "/api/dict/entries", entry);
    ASSERT_EQ(r.status, 201) << r.body;
    auto e = parse(r);
    EXPECT_EQ(e["enabled"], true);
    EXPECT_EQ(e["category_name"], "申诉理由");
    const std::string eid = std::to_string(e["id"].get<long long>());
    r = call("POST", "/api/dict/entries", entry);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["message"], "该分类下已有相同编码的字典条目");

    // Search finds it by label, code or remark; a quote or % is a character.
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?q=%E4%BA%8B%E5%AE%9E"))["total"], 1);  // 事实
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?q=fact"))["total"], 1);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?q=x'%20OR%20'1'='1"))["total"], 0);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?q=%25"))["total"], 0);

    r = call("PUT", "/api/dict/entries/" + eid, R"({"enabled":false,"remark":"2027 年起不再使用"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["label"], "认定事实有误");
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?category=appeal_reason&enabled=true"))["total"], 0);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/dict/entries?category=appeal_reason"))["total"], 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE entity = 'dict_entry' AND entity_id = '" + eid + "'"), 2);

    EXPECT_EQ(as(kBoth, "DELETE", "/api/dict/entries/" + eid).status, 403);
    EXPECT_EQ(call("DELETE", "/api/dict/entries/" + eid).status, 204);
    EXPECT_EQ(call("DELETE", "/api/dict/entries/" + eid).status, 404);
    EXPECT_EQ(call("DELETE", "/api/dict/categories/" + std::to_string(cid)).status, 204);
    EXPECT_EQ(parse(call("GET", "/api/dict/categories?q=appeal"))["items"].size(), 0u);
}

TEST_F(DictionaryApi, BadInputIs422InChineseOr400) {
    auto r = call("POST", "/api/dict/categories", R"({"code":"Bad Code","name":""})");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::vector<std::string>{"code", "name"}));
    EXPECT_EQ(parse(r)["error"]["errors"][1]["message"], "分类名称不能为空");
    r = call("POST", "/api/dict/entries", R"({"code":"a b","label":")" + std::string(101 * 3, 'x') + R"(","sort_order":"1"})");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::vector<std::string>{"category_id", "code", "label", "sort_order"}));
    r = call("POST", "/api/dict/entries", R"({"category_id":999999,"code":"x","label":"无分类"})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["message"], "字典分类不存在");
    EXPECT_EQ(call("GET", "/api/dict/entries?enabled=yes").status, 400);
    EXPECT_EQ(call("GET", "/api/dict/entries?page_size=100000").status, 400);
    EXPECT_EQ(call("PUT", "/api/dict/entries/1x", "{}").status, 400);
}

TEST_F(DictionaryApi, AYearsScheduleIsEditedAndDrivesTheArithmetic) {
    EXPECT_EQ(anonymous("PUT", "/api/calendar/2026", k2026).status, 401);
    EXPECT_EQ(as(kBoth, "PUT", "/api/calendar/2026", k2026).status, 403);
    // No schedule yet: Monday–Friday, provisional.
    auto r = as(kBoth, "GET", "/api/calendar/add?from=2026-02-13&days=2");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["date"], "2026-02-17");
    EXPECT_EQ(parse(r)["provisional"], true);

    r = call("PUT", "/api/calendar/2026", k2026);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["scheduled"], true);
    EXPECT_EQ(parse(r)["days"].size(), 15u);
    EXPECT_EQ(parse(r)["days"][3]["weekday"], "星期日");
    r = as(kBoth, "GET", "/api/calendar/add?from=2026-02-13&days=2");
    EXPECT_EQ(parse(r)["date"], "2026-02-24");
    EXPECT_EQ(parse(r)["provisional"], false);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/calendar/add?from=2026-02-13&days=6"))["date"], "2026-02-28");

    // The SQL functions agree with the C++ calendar on every start day of the year.
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        const auto cal = calendar::load(tx);
        for (int month = 1; month <= 12; ++month)
            for (int day = 1; day <= 28; day += 3) {
                char from[16];
                std::snprintf(from, sizeof from, "2026-%02d-%02d", month, day);
                for (int n : {0, 1, 2, 5, 20}) {
                    auto sql = tx.exec_params1("SELECT add_working_days($1::date, $2)::text,"
                                               " working_days_provisional($1::date, add_working_days($1::date, $2))",
                                               from, n);
                    auto cpp = cal.add_working_days(*calendar::parse_date(from), n);
                    EXPECT_EQ(sql[0].as<std::string>(), calendar::format_date(cpp.date)) << from << " + " << n;
                    EXPECT_EQ(sql[1].as<bool>(), cpp.provisional) << from << " + " << n;
                }
            }
        EXPECT_TRUE(tx.exec1("SELECT is_working_day('2026-02-14')")[0].as<bool>());
        EXPECT_FALSE(tx.exec1("SELECT is_working_day('2026-02-23')")[0].as<bool>());
    }

    auto years = parse(as(kBoth, "GET", "/api/calendar/years"));
    ASSERT_EQ(years["items"].size(), 1u);
    EXPECT_EQ(years["items"][0]["holidays"], 12);
    EXPECT_EQ(years["items"][0]["workdays"], 3);
    EXPECT_EQ(years["items"][0]["source"], "手工维护");

    // Replacing the year drops days no longer listed; deleting makes it provisional again.
    r = call("PUT", "/api/calendar/2026", R"({"days":[{"day":"2026-01-01","kind":"holiday","name":"元旦"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["days"].size(), 1u);
    EXPECT_EQ(call("DELETE", "/api/calendar/2026").status, 204);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/calendar/2026"))["scheduled"], false);
    EXPECT_EQ(call("DELETE", "/api/calendar/2026").status, 404);
}

TEST_F(DictionaryApi, BadScheduleIs422NamingEachDay) {
    auto r = call("PUT", "/api/calendar/2027", R"({"days":[
        {"day":"2027-02-30","kind":"holiday"},{"day":"2026-12-31","kind":"holiday"},
        {"day":"2027-01-01","kind":"vacation"},{"day":"2027-01-04","kind":"workday"},
        {"day":"2027-01-02","kind":"workday"},{"day":"2027-01-02","kind":"workday"}]})");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::vector<std::string>{"days[0]", "days[1]", "days[2]", "days[3]", "days[5]"}));
    auto errors = parse(r)["error"]["errors"];
    EXPECT_EQ(errors[1]["message"], "2026-12-31 不在 2027 年内");
    EXPECT_EQ(errors[3]["message"], "2027-01-04 是星期一，本来就是工作日，无需设为调休上班");
    EXPECT_EQ(errors[4]["code"], "duplicate");
    EXPECT_EQ(scalar("SELECT count(*) FROM work_calendar_year WHERE year = 2027"), 0);
    EXPECT_EQ(call("PUT", "/api/calendar/27", R"({"days":[]})").status, 400);
    EXPECT_EQ(call("PUT", "/api/calendar/2027", R"({"dayz":[]})").status, 422);
    EXPECT_EQ(call("GET", "/api/calendar/add?from=2026-02-30&days=1").status, 400);
    EXPECT_EQ(call("GET", "/api/calendar/add?from=2026-02-03&days=-1").status, 400);
}
