// Feedback (SYS-6) through dispatch() on a real PostGIS: any user submits; the answer
// deadline is 2 working days for technical and 5 for business questions, counted on the
// calendar (checked against the SQL functions of migration 0007); administrators list
// with overdue flags, reply (the submitter gets a message), close and delete;
// permissions 401/403, validation 422, state conflicts 409.
#include "system-api-fixture.hpp"

using namespace twindraw;
using twindraw::testing::SystemApi;

namespace {

class FeedbackApi : public SystemApi {
protected:
    nlohmann::json submit(long long user, const std::string& kind, const std::string& title) {
        auto r = as(user, "POST", "/api/feedback",
                    R"({"kind":")" + kind + R"(","title":")" + title + R"(","content":"导出的 Excel 打不开","contact":"023-63000000"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return parse(r);
    }
    std::string sql_text(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        return tx.exec1(sql)[0].as<std::string>();
    }
};

const char* kToday = "(now() AT TIME ZONE 'Asia/Shanghai')::date";

}  // namespace

TEST_F(FeedbackApi, DeadlineIsTwoOrFiveWorkingDays) {
    // A holiday tomorrow and the day after, so the calendar visibly matters.
    scalar(std::string("WITH d AS (INSERT INTO work_calendar(day, kind, name) VALUES (") + kToday + " + 1, 'holiday', '测试假日'), (" +
           kToday + " + 2, 'holiday', '测试假日') RETURNING 1) SELECT count(*) FROM d");
    auto tech = submit(kBoth, "technical", "导出失败");
    auto biz = submit(kNorth, "business", "抽查比例如何确定");
    EXPECT_EQ(tech["kind_label"], "技术问题");
    EXPECT_EQ(tech["status"], "open");
    EXPECT_EQ(tech["user_name"], "李两单位");
    EXPECT_EQ(tech["unit_name"], "重庆市渝中区市场监督管理局");
    EXPECT_EQ(tech["due_date"], sql_text(std::string("SELECT add_working_days(") + kToday + ", 2)::text"));
    EXPECT_EQ(biz["due_date"], sql_text(std::string("SELECT add_working_days(") + kToday + ", 5)::text"));
    EXPECT_EQ(tech["working_days_left"], 2);
    EXPECT_EQ(biz["working_days_left"], 5);
    EXPECT_EQ(tech["overdue"], false);
    // Not the naive date: the two holidays push it at least two days further.
    EXPECT_GE(scalar("SELECT due_date - " + std::string(kToday) + " FROM feedback WHERE id = " +
                     std::to_string(tech["id"].get<long long>())),
              4);
    // The current year has no schedule in this database: the deadline is provisional.
    EXPECT_EQ(tech["due_provisional"], true);
}

TEST_F(FeedbackApi, AdministratorsSeeOverdueItemsReplyCloseAndDelete) {
    auto a = submit(kBoth, "technical", "地图不显示");
    auto b = submit(kNorth, "business", "检查结果如何公示");
    const std::string ida = std::to_string(a["id"].get<long long>()), idb = std::to_string(b["id"].get<long long>());
    // a was submitted two weeks ago and is overdue.
    scalar("WITH u AS (UPDATE feedback SET submitted_at = now() - interval '14 days', due_date = " + std::string(kToday) +
           " - 10 WHERE id = " + ida + " RETURNING 1) SELECT count(*) FROM u");

    EXPECT_EQ(anonymous("GET", "/api/feedback").status, 401);
    EXPECT_EQ(as(kBoth, "GET", "/api/feedback").status, 403);
    auto list = parse(call("GET", "/api/feedback"));
    EXPECT_EQ(list["total"], 2);
    EXPECT_EQ(list["overdue"], 1);
    EXPECT_EQ(list["items"][0]["id"], a["id"]);  // open and due first
    EXPECT_EQ(list["items"][0]["overdue"], true);
    EXPECT_LT(list["items"][0]["working_days_left"].get<int>(), 0);
    EXPECT_EQ(parse(call("GET", "/api/feedback?overdue=true"))["total"], 1);
    EXPECT_EQ(parse(call("GET", "/api/feedback?kind=business"))["total"], 1);
    EXPECT_EQ(parse(call("GET", "/api/feedback?q=%E5%9C%B0%E5%9B%BE"))["total"], 1);  // 地图
    EXPECT_EQ(parse(call("GET", "/api/feedback?q=%E8%B5%B5"))["total"], 1);  // 赵, the submitter

    // Each user sees only their own.
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/feedback/mine"))["total"], 1);
    EXPECT_EQ(as(kBoth, "GET", "/api/feedback/" + ida).status, 200);
    EXPECT_EQ(as(kBoth, "GET", "/api/feedback/" + idb).status, 404);

    EXPECT_EQ(as(kBoth, "POST", "/api/feedback/" + ida + "/reply", R"({"reply":"已修复"})").status, 403);
    auto r = call("POST", "/api/feedback/" + ida + "/reply", R"({"reply":""})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["message"], "回复内容不能为空");
    r = call("POST", "/api/feedback/" + ida + "/reply", R"({"reply":"请清除浏览器缓存后重试。"})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto replied = parse(r);
    EXPECT_EQ(replied["status"], "replied");
    EXPECT_EQ(replied["replier_name"], "王管理");
    EXPECT_EQ(replied["overdue"], false);
    EXPECT_EQ(replied["answered_late"], true);
    // The submitter is told through a message.
    auto msgs = parse(as(kBoth, "GET", "/api/messages"));
    ASSERT_EQ(msgs["total"], 1);
    EXPECT_EQ(msgs["items"][0]["category"], "feedback");
    EXPECT_EQ(msgs["items"][0]["title"], "您的问题反馈已回复：地图不显示");
    EXPECT_EQ(msgs["items"][0]["body"], "请清除浏览器缓存后重试。");

    r = call("POST", "/api/feedback/" + ida + "/close");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["status_label"], "已关闭");
    EXPECT_EQ(call("POST", "/api/feedback/" + ida + "/close").status, 409);
    EXPECT_EQ(call("POST", "/api/feedback/" + ida + "/reply", R"({"reply":"再补充"})").status, 409);
    EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE entity = 'feedback' AND entity_id = '" + ida + "'"), 4);

    EXPECT_EQ(as(kNorth, "DELETE", "/api/feedback/" + idb).status, 403);
    EXPECT_EQ(call("DELETE", "/api/feedback/" + idb).status, 204);
    EXPECT_EQ(call("GET", "/api/feedback/" + idb).status, 404);
}

TEST_F(FeedbackApi, SubmissionValidationIs422InChinese) {
    EXPECT_EQ(anonymous("POST", "/api/feedback", R"({"kind":"technical","title":"t","content":"c"})").status, 401);
    auto r = as(kBoth, "POST", "/api/feedback", R"({"kind":"complaint","title":"","content":""})");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::vector<std::string>{"kind", "title", "content"}));
    EXPECT_EQ(parse(r)["error"]["errors"][0]["message"], "问题类型的取值不正确");
    r = as(kBoth, "POST", "/api/feedback",
           R"({"kind":"business","title":"标题","content":"内容","contact":")" + std::string(101, '1') + R"("})");
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["message"], "联系方式不能超过 100 个字");
    EXPECT_EQ(call("GET", "/api/feedback?status=pending").status, 400);
    EXPECT_EQ(scalar("SELECT count(*) FROM feedback"), 0);
}
