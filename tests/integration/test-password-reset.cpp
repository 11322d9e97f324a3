// Password reset through an SMS code (AUTH-3) on a real PostGIS, with an HTTP sink on
// loopback as the SMS gateway: the code reaches the registered phone, a wrong code or a
// weak password is refused (422, Chinese), the right one sets the password and ends the
// account's sessions, the code is good once, and an address is limited to ten tries in
// 15 minutes (429).
#include "sms-sink.hpp"
#include "system-api-fixture.hpp"

#include "workflows/account-password.hpp"

using namespace twindraw;
using twindraw::testing::SmsSink;
using twindraw::testing::SystemApi;

namespace {

class PasswordReset : public SystemApi {
protected:
    void SetUp() override {
        SystemApi::SetUp();
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec_params("UPDATE app_user SET password_hash = $1, must_change_password = false WHERE id = 78",
                       accounts::hash_password("Old#Passw0rd1"));
        tx.exec("INSERT INTO session(token_hash, user_id, kind, csrf_token, expires_at, idle_timeout, stage)"
                " VALUES (sha256('t'), 78, 'cookie', 'c', now() + interval '1 day', interval '1 hour', 'ok')");
        tx.commit();
    }
    server::Response post(const std::string& path, const nlohmann::json& body) {
        return anonymous("POST", path, body.dump());
    }
};

}  // namespace

TEST_F(PasswordReset, CodeFromTheGatewaySetsANewPassword) {
    EXPECT_EQ(post("/api/auth/reset/send", {{"account", "liboth"}}).status, 503);  // no gateway configured

    SmsSink sink;
    app->auth.sms_gateway_url = sink.url();
    // An unknown account answers alike and sends nothing.
    auto r = post("/api/auth/reset/send", {{"account", "nobody"}});
    ASSERT_EQ(r.status, 200) << r.body;
    r = post("/api/auth/reset/send", {{"account", "LiBoth"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["message"], "如账号存在且登记了手机号，验证码已发送，5 分钟内有效");
    const std::string received = sink.request();
    auto sent = nlohmann::json::parse(received.substr(received.find("\r\n\r\n") + 4));
    EXPECT_EQ(sent["phone"], "13800000078");
    std::smatch m;
    const std::string text = sent["text"];
    ASSERT_TRUE(std::regex_search(text, m, std::regex("([0-9]{6})"))) << text;
    const std::string code = m[1];
    ASSERT_NE(text.find("重置密码"), std::string::npos) << text;
    EXPECT_EQ(post("/api/auth/reset/send", {{"account", "liboth"}}).status, 429);  // one code a minute

    const std::string wrong = code == "000000" ? "111111" : "000000";
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", wrong}, {"new_password", "New#Passw0rd2"}});
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["field"], "code");
    EXPECT_EQ(parse(r)["error"]["message"], "验证码错误或已过期，请重新获取");
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", code}, {"new_password", "short"}});
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "weak_password");
    EXPECT_EQ(parse(r)["error"]["field"], "new_password");
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", code}, {"new_password", "Old#Passw0rd1"}});
    EXPECT_EQ(parse(r)["error"]["code"], "same_password");
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", ""}, {"new_password", "New#Passw0rd2"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["message"], "验证码不能为空");

    // The weak attempts did not use the code up.
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", code}, {"new_password", "New#Passw0rd2"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(scalar("SELECT count(*) FROM session WHERE user_id = 78 AND revoked_at IS NULL"), 0);
    r = post("/api/auth/login", {{"account", "liboth"}, {"password", "New#Passw0rd2"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(post("/api/auth/login", {{"account", "liboth"}, {"password", "Old#Passw0rd1"}}).status, 401);
    // Good once.
    r = post("/api/auth/reset", {{"account", "liboth"}, {"code", code}, {"new_password", "Third#Passw0rd3"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(scalar("SELECT count(*) FROM login_log WHERE account = 'liboth' AND reason = 'reset_password_sms' AND success"), 1);
}

TEST_F(PasswordReset, AnAddressIsLimitedToTenTriesIn15Minutes) {
    SmsSink sink;
    app->auth.sms_gateway_url = sink.url();
    ASSERT_EQ(post("/api/auth/reset/send", {{"account", "liboth"}}).status, 200);
    sink.request();
    int refused_at = 0;
    for (int i = 2; i <= 12 && !refused_at; ++i) {
        auto r = post("/api/auth/reset", {{"account", "liboth"}, {"code", "999999"}, {"new_password", "New#Passw0rd2"}});
        if (r.status == 429) {
            refused_at = i;
            EXPECT_EQ(parse(r)["error"]["message"], "找回密码的请求过于频繁，请 15 分钟后再试");
        } else {
            EXPECT_EQ(r.status, 422) << r.body;
        }
    }
    EXPECT_EQ(refused_at, 11);
}
