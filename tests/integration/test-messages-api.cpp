// Messages and announcements (HOME-1, SYS-5) through dispatch() on a real PostGIS:
// messages sent by a workflow inside its own transaction reach users and units, unread
// counts per user and per unit, reading clears them; a rolled-back transaction leaves
// no message; announcements go draft → published → withdrawn and only published ones
// reach users; permissions (401/403) and validation (422) answer as documented.
#include "system-api-fixture.hpp"

#include "geo/error.hpp"
#include "workflows/messages.hpp"

using namespace twindraw;
using twindraw::testing::SystemApi;

namespace {

class MessagesApi : public SystemApi {
protected:
    long long send(const messages::Recipients& to, const std::string& title, const std::string& category = "task") {
        return pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) {
            return messages::send(tx, to, category, title, "请及时处理", "/random/tasks/1");
        });
    }
    long long unread(long long user) { return parse(as(user, "GET", "/api/messages/unread"))["total"]; }
};

}  // namespace

TEST_F(MessagesApi, MessagesToUsersAndUnitsAreCountedPerUserAndPerUnit) {
    send({{kBoth}, {}}, "个人消息");
    send({{}, {kNorthUnit}}, "渝北区单位消息");
    send({{kNorth}, {kNorthUnit}}, "同时发给个人和单位的消息");

    EXPECT_EQ(unread(kBoth), 3);   // own + two to 渝北 (a unit of theirs)
    EXPECT_EQ(unread(kNorth), 2);  // the merged one counts once
    EXPECT_EQ(unread(kAdmin), 0);  // 渝中 only

    auto counts = parse(as(kBoth, "GET", "/api/messages/unread"));
    EXPECT_EQ(counts["personal"], 1);
    ASSERT_EQ(counts["units"].size(), 2u);
    EXPECT_EQ(counts["units"][0]["unit_id"], kCentral);
    EXPECT_EQ(counts["units"][0]["unread"], 0);
    EXPECT_EQ(counts["units"][1]["unit_id"], kNorthUnit);
    EXPECT_EQ(counts["units"][1]["unit_name"], "重庆市渝北区市场监督管理局");
    EXPECT_EQ(counts["units"][1]["unread"], 2);

    auto list = parse(as(kBoth, "GET", "/api/messages?page_size=2"));
    EXPECT_EQ(list["total"], 3);
    EXPECT_EQ(list["unread"], 3);
    ASSERT_EQ(list["items"].size(), 2u);
    EXPECT_EQ(list["items"][0]["title"], "同时发给个人和单位的消息");  // newest first
    EXPECT_EQ(list["items"][0]["category_label"], "任务");
    EXPECT_EQ(list["items"][0]["unit_name"], "重庆市渝北区市场监督管理局");
    EXPECT_EQ(list["items"][0]["read"], false);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/messages?unit_id=901"))["total"], 2);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/messages?category=system"))["total"], 0);
}

TEST_F(MessagesApi, ReadingClearsTheCountForThatPersonOnly) {
    long long unit_msg = send({{}, {kNorthUnit}}, "渝北区单位消息");
    send({{kBoth}, {}}, "个人消息");
    auto r = as(kBoth, "POST", "/api/messages/" + std::to_string(unit_msg) + "/read");
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(unread(kBoth), 1);
    EXPECT_EQ(unread(kNorth), 1);  // the unit message is still unread for the other person
    EXPECT_EQ(as(kBoth, "POST", "/api/messages/" + std::to_string(unit_msg) + "/read").status, 204);  // idempotent
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/messages?unread=true"))["total"], 1);

    r = as(kNorth, "POST", "/api/messages/read-all");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["marked"], 1);
    EXPECT_EQ(unread(kNorth), 0);
    EXPECT_EQ(unread(kBoth), 1);
    EXPECT_EQ(parse(as(kBoth, "POST", "/api/messages/read-all"))["marked"], 1);
    EXPECT_EQ(unread(kBoth), 0);
}

TEST_F(MessagesApi, SomeoneElsesMessageCannotBeSeenOrRead) {
    long long own = send({{kNorth}, {}}, "赵的个人消息");
    EXPECT_EQ(as(kBoth, "POST", "/api/messages/" + std::to_string(own) + "/read").status, 404);
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/messages"))["total"], 0);
    EXPECT_EQ(as(kBoth, "POST", "/api/messages/abc/read").status, 400);
}

TEST_F(MessagesApi, ARolledBackTransactionLeavesNoMessage) {
    EXPECT_THROW(pg::with_transaction(db.pool(), "test",
                                      [&](pqxx::work& tx) {
                                          messages::send(tx, {{kBoth}, {}}, "task", "不会留下的消息");
                                          throw std::runtime_error("the caller's change failed");
                                      }),
                 std::runtime_error);
    EXPECT_EQ(scalar("SELECT count(*) FROM message"), 0);
    EXPECT_EQ(unread(kBoth), 0);
}

TEST_F(MessagesApi, SendRefusesBadInputWithoutWriting) {
    auto bad = [&](const messages::Recipients& to, const std::string& category, const std::string& title) {
        return pg::with_transaction(db.pool(), "test",
                                    [&](pqxx::work& tx) { return messages::send(tx, to, category, title); });
    };
    EXPECT_THROW(bad({}, "task", "无接收人"), Error);
    EXPECT_THROW(bad({{kBoth}, {}}, "nonsense", "类别不对"), Error);
    EXPECT_THROW(bad({{kBoth}, {}}, "task", "  "), Error);
    EXPECT_THROW(bad({{123456}, {}}, "task", "不存在的人"), Error);
    EXPECT_THROW(bad({{}, {123456}}, "task", "不存在的单位"), Error);
    EXPECT_EQ(scalar("SELECT count(*) FROM message"), 0);
}

TEST_F(MessagesApi, AdministratorSendsOverHttpWithPermissionAndValidation) {
    const std::string body = R"({"user_ids":[78],"unit_ids":[901],"title":"请于本周内完成培训","body":"详见通知"})";
    EXPECT_EQ(anonymous("POST", "/api/messages", body).status, 401);
    EXPECT_EQ(as(kBoth, "POST", "/api/messages", body).status, 403);
    auto r = call("POST", "/api/messages", body);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(unread(kBoth), 1);
    EXPECT_EQ(unread(kNorth), 1);
    auto list = parse(as(kNorth, "GET", "/api/messages"));
    EXPECT_EQ(list["items"][0]["sender_name"], "王管理");
    EXPECT_EQ(list["items"][0]["category"], "system");

    r = call("POST", "/api/messages", R"({"title":"","user_ids":"78"})");
    ASSERT_EQ(r.status, 422) << r.body;
    auto fields = error_fields(r);
    EXPECT_NE(std::find(fields.begin(), fields.end(), "title"), fields.end());
    EXPECT_NE(std::find(fields.begin(), fields.end(), "user_ids"), fields.end());
    EXPECT_EQ(parse(r)["error"]["errors"][0]["message"], "接收人应为不超过 1000 个编号的列表");
    r = call("POST", "/api/messages", R"({"title":"无人可收"})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "recipients");
    EXPECT_EQ(parse(r)["error"]["message"], "请至少选择一个接收人或接收单位");
    r = call("POST", "/api/messages", R"({"title":"发给不存在的人","user_ids":[999999]})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["code"], "unknown_recipient");
    EXPECT_EQ(anonymous("GET", "/api/messages").status, 401);
    EXPECT_EQ(anonymous("GET", "/api/messages/unread").status, 401);
}

TEST_F(MessagesApi, AnnouncementsAreDraftedPublishedAndWithdrawn) {
    const std::string body = R"({"title":"关于2026年度双随机抽查工作的通知","body":"各单位：请按计划开展抽查。"})";
    EXPECT_EQ(anonymous("POST", "/api/announcements", body).status, 401);
    EXPECT_EQ(as(kBoth, "POST", "/api/announcements", body).status, 403);
    auto r = call("POST", "/api/announcements", body);
    ASSERT_EQ(r.status, 201) << r.body;
    auto a = parse(r);
    EXPECT_EQ(a["status"], "draft");
    EXPECT_EQ(a["status_label"], "草稿");
    EXPECT_EQ(a["author_name"], "王管理");
    const std::string id = std::to_string(a["id"].get<long long>());

    // A draft is not visible to users.
    EXPECT_EQ(parse(as(kBoth, "GET", "/api/announcements"))["total"], 0);
    EXPECT_EQ(as(kBoth, "GET", "/api/announcements/" + id).status, 404);
    EXPECT_EQ(call("GET", "/api/announcements/" + id).status, 200);

    r = call("PUT", "/api/announcements/" + id, R"({"title":"关于2026年度双随机抽查工作的通知（修订）","pinned":true})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["pinned"], true);
    EXPECT_EQ(parse(r)["body"], "各单位：请按计划开展抽查。");

    r = call("POST", "/api/announcements/" + id + "/publish");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["status"], "published");
    EXPECT_EQ(call("POST", "/api/announcements/" + id + "/publish").status, 409);
    auto list = parse(as(kNorth, "GET", "/api/announcements"));
    ASSERT_EQ(list["total"], 1);
    EXPECT_EQ(list["items"][0]["title"], "关于2026年度双随机抽查工作的通知（修订）");
    EXPECT_EQ(list["items"][0]["publisher_name"], "王管理");
    EXPECT_FALSE(list["items"][0].contains("body"));
    EXPECT_EQ(parse(as(kNorth, "GET", "/api/announcements/" + id))["body"], "各单位：请按计划开展抽查。");
    EXPECT_EQ(parse(as(kNorth, "GET", "/api/announcements?q=%E4%BF%AE%E8%AE%A2"))["total"], 1);  // 修订
    EXPECT_EQ(parse(as(kNorth, "GET", "/api/announcements?q=%25"))["total"], 0);  // % is a character, not a wildcard

    r = call("POST", "/api/announcements/" + id + "/withdraw");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(as(kNorth, "GET", "/api/announcements"))["total"], 0);
    EXPECT_EQ(call("POST", "/api/announcements/" + id + "/withdraw").status, 409);
    EXPECT_EQ(parse(call("GET", "/api/announcements/manage?status=withdrawn"))["total"], 1);
    EXPECT_EQ(as(kBoth, "GET", "/api/announcements/manage").status, 403);

    // Every change is in the audit trail.
    EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE entity = 'announcement' AND entity_id = '" + id + "'"), 4);
    EXPECT_EQ(call("DELETE", "/api/announcements/" + id).status, 204);
    EXPECT_EQ(call("DELETE", "/api/announcements/" + id).status, 404);
}

TEST_F(MessagesApi, AnnouncementValidationIs422InChinese) {
    auto r = call("POST", "/api/announcements", R"({"title":"","body":"","pinned":"yes"})");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::vector<std::string>{"title", "body", "pinned"}));
    EXPECT_EQ(parse(r)["error"]["errors"][0]["message"], "公告标题不能为空");
    r = call("POST", "/api/announcements", R"({"title":")" + std::string(201, 'x') + R"(","body":"正文"})");
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["message"], "公告标题不能超过 200 个字");
    EXPECT_EQ(call("POST", "/api/announcements", "not json").status, 400);
    EXPECT_EQ(call("PUT", "/api/announcements/999", R"({"title":"不存在"})").status, 404);
    EXPECT_EQ(scalar("SELECT count(*) FROM announcement"), 0);
}
