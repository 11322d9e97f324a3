// Accounts on a real PostGIS through dispatch(): login, lockout, sessions, CSRF, first
// password, TOTP and SMS second factors, identity switching, admin tiers, and the
// permission matrix over every route of register_all (AUTH-1..7, SYS-1..3, SYS-7, SYS-8).
#include "common-pg.hpp"
#include "sms-sink.hpp"

#include "server/app.hpp"
#include "server/auth-gate.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-totp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <regex>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;

namespace {

const char* kPassword = "Twindraw@2026";

struct Session {
    std::string token;       // bearer token or cookie value
    bool cookie = false;
    std::string csrf;
};

class AuthApi : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000');");
        city = tx.exec1("INSERT INTO authority(name, kind, division_code) VALUES ('重庆市市场监督管理局', 'market_bureau', '500000') RETURNING id")[0].as<long long>();
        yuzhong = tx.exec1("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ('重庆市渝中区市场监督管理局', 'market_bureau', '500103', " + std::to_string(city) + ") RETURNING id")[0].as<long long>();
        yuzhong_office = tx.exec1("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ('渝中区市场监督管理局解放碑市场监管所', 'sub_office', '500103', " + std::to_string(yuzhong) + ") RETURNING id")[0].as<long long>();
        shapingba = tx.exec1("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ('重庆市沙坪坝区市场监督管理局', 'market_bureau', '500106', " + std::to_string(city) + ") RETURNING id")[0].as<long long>();
        tx.exec("INSERT INTO section(authority_id, name) VALUES (" + std::to_string(yuzhong) + ", '信用监督管理科')");
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", (std::filesystem::temp_directory_path() / ("twindraw-auth-" + db.name())).string()});
        imports = std::make_unique<ImportQueue>(db.pool());
        app->imports = imports.get();
        register_all(router, *app);
    }

    // A user with one identity, created in SQL (the admin API has its own tests).
    long long make_user(const std::string& account, const std::string& role, long long unit, bool must_change = false,
                        const std::string& phone = {}) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        long long id = tx.exec_params1(
                             "INSERT INTO app_user(account, name, password_hash, must_change_password, phone)"
                             " VALUES ($1, $1, $2, $3, NULLIF($4, '')) RETURNING id",
                             account, accounts::hash_password(kPassword), must_change, phone)[0]
                           .as<long long>();
        tx.exec_params("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                       " SELECT $1, $2, id, true FROM role WHERE code = $3",
                       id, unit, role);
        tx.commit();
        return id;
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  const Session* s = nullptr, bool send_csrf = true, const std::string& peer = "127.0.0.1") {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.peer = peer;
        req.headers["content-type"] = "application/json";
        req.headers["user-agent"] = "gtest";
        if (s && s->cookie) {
            req.headers["cookie"] = "theme=dark; td_session=" + s->token;
            if (send_csrf) req.headers["x-csrf-token"] = s->csrf;
        } else if (s) {
            req.headers["authorization"] = "Bearer " + s->token;
        }
        return dispatch(router, "", req, app->authenticator.get());
    }

    static nlohmann::json parse(const Response& r) { return nlohmann::json::parse(r.body); }

    static std::string header(const Response& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }

    Response login_raw(const std::string& account, const std::string& password, const std::string& client = "web",
                       const std::string& peer = "127.0.0.1") {
        return call("POST", "/api/auth/login",
                    nlohmann::json({{"account", account}, {"password", password}, {"client", client}}).dump(), nullptr,
                    true, peer);
    }

    Session login(const std::string& account, bool mobile = true) {
        auto r = login_raw(account, kPassword, mobile ? "mobile" : "web");
        EXPECT_EQ(r.status, 200) << r.body;
        auto j = parse(r);
        EXPECT_EQ(j["status"], "ok") << r.body;
        Session s;
        s.csrf = j.value("csrf_token", "");
        if (mobile) {
            s.token = j.value("token", "");
        } else {
            std::smatch m;
            std::string cookie = header(r, "Set-Cookie");
            static const std::regex re("td_session=([A-Za-z0-9_-]+)");
            EXPECT_TRUE(std::regex_search(cookie, m, re)) << cookie;
            s.token = m[1];
            s.cookie = true;
        }
        return s;
    }

    long long role_id(const std::string& code) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        return tx.exec_params1("SELECT id FROM role WHERE code = $1", code)[0].as<long long>();
    }

    void sql(const std::string& statement) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(statement);
        tx.commit();
    }

    long long count(const std::string& query) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        return tx.exec1(query)[0].as<long long>();
    }

    TempDatabase db;
    long long city = 0, yuzhong = 0, yuzhong_office = 0, shapingba = 0;
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

}  // namespace

TEST_F(AuthApi, LoginSetsAnHttpOnlyCookieAndMeDescribesTheSession) {
    make_user("admin", "system_admin", city);
    auto r = login_raw("admin", kPassword);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = parse(r);
    EXPECT_EQ(j["status"], "ok");
    EXPECT_EQ(j["user"]["account"], "admin");
    EXPECT_FALSE(j.contains("token"));  // a web login's token stays in the cookie
    const std::string cookie = header(r, "Set-Cookie");
    EXPECT_NE(cookie.find("td_session="), std::string::npos);
    EXPECT_NE(cookie.find("; HttpOnly; SameSite=Strict; Path=/"), std::string::npos);
    EXPECT_EQ(cookie.find("Secure"), std::string::npos);

    Session s = login("admin", false);
    r = call("GET", "/api/auth/me", {}, &s);
    ASSERT_EQ(r.status, 200) << r.body;
    j = parse(r);
    EXPECT_EQ(j["user"]["account"], "admin");
    EXPECT_EQ(j["identity"]["unit_id"], city);
    EXPECT_EQ(j["identity"]["unit_name"], "重庆市市场监督管理局");
    EXPECT_EQ(j["identity"]["role"]["code"], "system_admin");
    EXPECT_EQ(j["identity"]["data_scope"], "all");
    EXPECT_EQ(j["identities"].size(), 1u);
    EXPECT_EQ(j["csrf_token"], s.csrf);
    EXPECT_NE(std::find(j["permissions"].begin(), j["permissions"].end(), "system.users"), j["permissions"].end());

    app->auth.cookie_secure = true;
    r = login_raw("admin", kPassword);
    EXPECT_NE(header(r, "Set-Cookie").find("; Secure"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE account = 'admin' AND success AND reason = 'ok'"), 3);
    // Only the hash of a token is stored.
    EXPECT_EQ(count("SELECT count(*) FROM session WHERE token_hash = sha256(convert_to('" + s.token + "', 'UTF8'))"), 1);
}

TEST_F(AuthApi, WrongPasswordAndUnknownAccountAnswerAlike) {
    make_user("zhangsan", "inspector", yuzhong);
    auto wrong = login_raw("zhangsan", "Twindraw@2025");
    auto unknown = login_raw("nobody", kPassword);
    ASSERT_EQ(wrong.status, 401);
    ASSERT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.body, unknown.body);
    EXPECT_EQ(parse(wrong)["error"]["code"], "bad_credentials");
    EXPECT_EQ(parse(wrong)["error"]["message"], "账号或密码错误");
    EXPECT_EQ(login_raw("zhangsan", "").status, 400);
    EXPECT_EQ(call("POST", "/api/auth/login", "{not json").status, 400);
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE NOT success AND reason = 'bad_password' AND user_agent = 'gtest'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE NOT success AND reason = 'unknown_account'"), 1);
    // The account name is not case-sensitive.
    EXPECT_EQ(login_raw("ZhangSan", kPassword).status, 200);
    sql("UPDATE app_user SET active = false WHERE account = 'zhangsan'");
    auto r = login_raw("zhangsan", kPassword);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "account_disabled");
    EXPECT_EQ(login_raw("zhangsan", "wrong-password").status, 401);  // no hint without the password
}

TEST_F(AuthApi, SixthAttemptInAMinuteIsRefusedEvenWithTheRightPassword) {
    make_user("lisi", "inspector", yuzhong);
    make_user("wangwu", "inspector", yuzhong);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(login_raw("lisi", "Wrong#Pass" + std::to_string(i)).status, 401);
    auto r = login_raw("lisi", kPassword);
    ASSERT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "locked");
    long long retry = std::stoll(header(r, "Retry-After"));
    EXPECT_GT(retry, 50);
    EXPECT_LE(retry, 60);
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE account = 'lisi' AND reason = 'locked'"), 1);
    // Another account from another address is not affected.
    EXPECT_EQ(login_raw("wangwu", kPassword, "web", "10.0.0.9").status, 200);
    // Once the wait after the latest failure is over the account opens again.
    sql("UPDATE login_log SET at = at - interval '61 seconds' WHERE account = 'lisi'");
    EXPECT_EQ(login_raw("lisi", kPassword).status, 200);
}

// Issue 12 §5: the wait doubles with each further failure (backoff), refusals while
// waiting do not lengthen it, and a success starts the account afresh.
TEST_F(AuthApi, EachFurtherFailureDoublesTheWait) {
    make_user("lisi", "inspector", yuzhong);
    auto wait_after = [&](int failures_before) {
        (void)failures_before;
        auto r = login_raw("lisi", kPassword);
        EXPECT_EQ(r.status, 429) << r.body;
        return r.status == 429 ? std::stoll(header(r, "Retry-After")) : 0LL;
    };
    for (int i = 0; i < 5; ++i) login_raw("lisi", "Wrong#Pass" + std::to_string(i));
    EXPECT_LE(wait_after(5), 60);
    for (int i = 0; i < 20; ++i) login_raw("lisi", "Wrong#Again");  // refused while locked: no longer
    EXPECT_LE(wait_after(5), 60);
    sql("UPDATE login_log SET at = at - interval '61 seconds' WHERE account = 'lisi'");
    EXPECT_EQ(login_raw("lisi", "Wrong#Pass6").status, 401);  // the sixth real failure
    long long w = wait_after(6);
    EXPECT_GT(w, 110);
    EXPECT_LE(w, 120);
    sql("UPDATE login_log SET at = at - interval '121 seconds' WHERE account = 'lisi'");
    EXPECT_EQ(login_raw("lisi", "Wrong#Pass7").status, 401);
    w = wait_after(7);
    EXPECT_GT(w, 230);
    EXPECT_LE(w, 240);
    sql("UPDATE login_log SET at = at - interval '1 hour' WHERE account = 'lisi'");
    EXPECT_EQ(login_raw("lisi", kPassword).status, 200);
    // After a success the count starts again: one failure locks nothing.
    EXPECT_EQ(login_raw("lisi", "Wrong#Pass8").status, 401);
    EXPECT_EQ(login_raw("lisi", kPassword).status, 200);
}

// Issue 12 §5: failures count per real client address, not per proxy. Behind a trusted
// proxy the address is the client's (X-Forwarded-For, see server::client_address), so
// one guessing client does not shut every account behind the proxy; from the guessing
// address itself, 20 failures make it wait.
TEST_F(AuthApi, ManyFailuresFromOneAddressDoNotLockOtherAddressesOrAccounts) {
    make_user("lisi", "inspector", yuzhong);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(login_raw("guess" + std::to_string(i), "Wrong#Pass", "web", "198.51.100.7").status, 401);
    // Another client: not affected.
    EXPECT_EQ(login_raw("lisi", kPassword, "web", "198.51.100.8").status, 200);
    // The guessing client waits, even for a real account.
    auto r = login_raw("lisi", kPassword, "web", "198.51.100.7");
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_LE(std::stoll(header(r, "Retry-After")), 60);

    // The address a request counts under: the peer, unless the peer is a trusted proxy.
    const std::vector<std::string> proxies = {"127.0.0.1", "10.0.0.2"};
    EXPECT_EQ(client_address("127.0.0.1", "198.51.100.7", proxies), "198.51.100.7");
    EXPECT_EQ(client_address("127.0.0.1", "203.0.113.9, 198.51.100.7", proxies), "198.51.100.7");  // spoofed left part
    EXPECT_EQ(client_address("127.0.0.1", "198.51.100.7, 10.0.0.2", proxies), "198.51.100.7");     // two proxies
    EXPECT_EQ(client_address("192.0.2.50", "198.51.100.7", proxies), "192.0.2.50");  // not a proxy: header ignored
    EXPECT_EQ(client_address("127.0.0.1", std::nullopt, proxies), "127.0.0.1");
    EXPECT_EQ(client_address("127.0.0.1", "not-an-address", proxies), "127.0.0.1");
    EXPECT_EQ(client_address("127.0.0.1", "2001:db8::1", proxies), "2001:db8::1");
}

// Issue 12 §5: a wrong old password on the password change counts like a failed login.
TEST_F(AuthApi, WrongOldPasswordsAreCountedAndLocked) {
    make_user("lisi", "inspector", yuzhong);
    Session s = login("lisi");
    for (int i = 0; i < 5; ++i) {
        auto r = call("POST", "/api/auth/password",
                      R"({"old_password":"Wrong#Old)" + std::to_string(i) + R"(","new_password":"Qianmen#Road88"})", &s);
        EXPECT_EQ(r.status, 422) << r.body;
        EXPECT_EQ(parse(r)["error"]["code"], "bad_old_password");
    }
    // Now even the right old password waits.
    auto r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"Qianmen#Road88"})", &s);
    ASSERT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "locked");
    EXPECT_FALSE(header(r, "Retry-After").empty());
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE account = 'lisi' AND reason = 'bad_old_password'"), 5);
    // And so does a login of the account: it is the same guessing.
    EXPECT_EQ(login_raw("lisi", kPassword).status, 429);
    sql("UPDATE login_log SET at = at - interval '61 seconds' WHERE account = 'lisi'");
    r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"Qianmen#Road88"})", &s);
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(AuthApi, TwentyFailuresFromOneAddressLockThatAddress) {
    make_user("zhaoliu", "inspector", yuzhong);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(login_raw("guess" + std::to_string(i), "Wrong#Pass1", "web", "10.1.1.1").status, 401);
    EXPECT_EQ(login_raw("zhaoliu", kPassword, "web", "10.1.1.1").status, 429);
    EXPECT_EQ(login_raw("zhaoliu", kPassword, "web", "10.1.1.2").status, 200);
}

TEST_F(AuthApi, ForeignExpiredIdleAndLoggedOutTokensAre401) {
    make_user("admin", "system_admin", city);
    make_user("leader1", "leader", city);
    Session a = login("admin"), b = login("leader1");
    EXPECT_EQ(parse(call("GET", "/api/auth/me", {}, &b))["user"]["account"], "leader1");
    Session forged{accounts::random_token(), false, ""};
    auto r = call("GET", "/api/subjects", {}, &forged);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(parse(r)["error"]["code"], "unauthenticated");
    r = call("GET", "/api/subjects");
    EXPECT_EQ(r.status, 401);

    // Another user's CSRF token does not unlock a cookie session.
    Session c = login("admin", false), d = login("leader1", false);
    Session mixed{c.token, true, d.csrf};
    EXPECT_EQ(call("POST", "/api/auth/logout", {}, &mixed).status, 403);

    sql("UPDATE session SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to('" + a.token + "', 'UTF8'))");
    EXPECT_EQ(call("GET", "/api/subjects", {}, &a).status, 401);
    sql("UPDATE session SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = sha256(convert_to('" + b.token + "', 'UTF8'))");
    EXPECT_EQ(call("GET", "/api/subjects", {}, &b).status, 401);

    EXPECT_EQ(call("GET", "/api/subjects", {}, &c).status, 200);
    EXPECT_EQ(call("POST", "/api/auth/logout", {}, &c).status, 204);
    EXPECT_EQ(call("GET", "/api/subjects", {}, &c).status, 401);
}

TEST_F(AuthApi, CookieSessionsNeedTheCsrfHeaderBearerSessionsDoNot) {
    make_user("admin", "system_admin", city);
    Session web = login("admin", false), phone = login("admin", true);
    const std::string body = R"({"code":"9300","name":"个人独资试点"})";
    auto r = call("POST", "/api/enterprise-types", body, &web, false);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "csrf");
    EXPECT_EQ(count("SELECT count(*) FROM enterprise_type WHERE code = '9300'"), 0);
    EXPECT_EQ(call("GET", "/api/enterprise-types", {}, &web, false).status, 200);  // reads need none
    EXPECT_EQ(call("POST", "/api/enterprise-types", body, &web).status, 201);
    EXPECT_EQ(call("PUT", "/api/enterprise-types/9300", R"({"name":"个人独资"})", &phone).status, 200);

    // PC and phone at once; logging out everywhere ends both (AUTH-4, AUTH-7).
    r = call("POST", "/api/auth/logout-all", {}, &phone);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["revoked"], 2);
    EXPECT_EQ(call("GET", "/api/auth/me", {}, &web).status, 401);
    EXPECT_EQ(call("GET", "/api/auth/me", {}, &phone).status, 401);
}

TEST_F(AuthApi, FirstPasswordMustBeChangedBeforeAnythingElse) {
    make_user("newbie", "task_assigner", yuzhong, true);
    Session s = login("newbie", false);
    auto me = parse(call("GET", "/api/auth/me", {}, &s));
    EXPECT_EQ(me["user"]["must_change_password"], true);
    EXPECT_EQ(me["stage"], "password_change");
    auto r = call("GET", "/api/subjects", {}, &s);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "password_change_required");

    r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"short"})", &s);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "new_password");
    r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"Twindraw@2026"})", &s);
    EXPECT_EQ(r.status, 422);
    r = call("POST", "/api/auth/password", R"({"old_password":"wrong","new_password":"Qianmen#Road88"})", &s);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "old_password");
    r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"Qianmen#Road88"})", &s, false);
    EXPECT_EQ(r.status, 403);  // still a cookie session: CSRF applies
    r = call("POST", "/api/auth/password", R"({"old_password":"Twindraw@2026","new_password":"Qianmen#Road88"})", &s);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["user"]["must_change_password"], false);
    EXPECT_EQ(call("GET", "/api/subjects", {}, &s).status, 200);
    EXPECT_EQ(login_raw("newbie", kPassword).status, 401);
    EXPECT_EQ(login_raw("newbie", "Qianmen#Road88").status, 200);
}

TEST_F(AuthApi, TotpEnrolmentAndSecondFactorLogin) {
    make_user("admin", "system_admin", city);
    Session s = login("admin");
    auto r = call("POST", "/api/auth/totp/enroll", "{}", &s);
    ASSERT_EQ(r.status, 200) << r.body;
    auto e = parse(r);
    const std::string key = accounts::base32_decode(e["secret"].get<std::string>());
    EXPECT_EQ(e["otpauth_url"].get<std::string>().rfind("otpauth://totp/TwinDraw:admin?secret=", 0), 0u);
    EXPECT_EQ(e["qr_svg"].get<std::string>().rfind("<svg", 0), 0u);
    const std::int64_t now = std::time(nullptr);
    EXPECT_EQ(call("POST", "/api/auth/totp/confirm", R"({"code":"000000x"})", &s).status, 422);
    r = call("POST", "/api/auth/totp/confirm", nlohmann::json({{"code", accounts::totp(key, now)}}).dump(), &s);
    ASSERT_EQ(r.status, 200) << r.body;

    r = login_raw("admin", kPassword, "mobile");
    ASSERT_EQ(r.status, 200);
    auto j = parse(r);
    EXPECT_EQ(j["status"], "second_factor");
    EXPECT_EQ(j["methods"], nlohmann::json::array({"totp"}));  // no SMS gateway configured
    EXPECT_FALSE(j.contains("token"));
    const std::string challenge = j["challenge"];
    // The challenge is no session.
    Session half{challenge, false, ""};
    EXPECT_EQ(call("GET", "/api/auth/me", {}, &half).status, 401);
    // The confirming code was used; the next one (a step later) opens the session.
    std::string next = accounts::totp(key, now + 30);
    r = call("POST", "/api/auth/second-factor", nlohmann::json({{"challenge", challenge}, {"code", "123456"}}).dump());
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(parse(r)["error"]["code"], "bad_code");
    r = call("POST", "/api/auth/second-factor", nlohmann::json({{"challenge", challenge}, {"code", next}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    Session phone{parse(r)["token"], false, ""};
    EXPECT_EQ(call("GET", "/api/subjects", {}, &phone).status, 200);
    // A code is good once, and a used challenge is gone.
    r = login_raw("admin", kPassword, "mobile");
    r = call("POST", "/api/auth/second-factor", nlohmann::json({{"challenge", parse(r)["challenge"]}, {"code", next}}).dump());
    EXPECT_EQ(r.status, 401);
    r = call("POST", "/api/auth/second-factor", nlohmann::json({{"challenge", challenge}, {"code", next}}).dump());
    EXPECT_EQ(parse(r)["error"]["code"], "challenge_expired");
}

TEST_F(AuthApi, SwitchingIdentityChangesUnitAndPermissions) {
    long long id = make_user("chen", "task_assigner", yuzhong);
    sql("INSERT INTO user_identity(user_id, authority_id, role_id) SELECT " + std::to_string(id) + ", " +
        std::to_string(shapingba) + ", id FROM role WHERE code = 'leader'");
    Session s = login("chen");
    auto me = parse(call("GET", "/api/auth/me", {}, &s));
    ASSERT_EQ(me["identities"].size(), 2u);
    EXPECT_EQ(me["identity"]["unit_id"], yuzhong);
    long long other = me["identities"][1]["id"];
    auto r = call("POST", "/api/auth/switch", nlohmann::json({{"identity_id", other}}).dump(), &s);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["identity"]["unit_id"], shapingba);
    me = parse(call("GET", "/api/auth/me", {}, &s));
    EXPECT_EQ(me["identity"]["role"]["code"], "leader");
    EXPECT_NE(std::find(me["permissions"].begin(), me["permissions"].end(), "audit.read"), me["permissions"].end());
    EXPECT_EQ(std::find(me["permissions"].begin(), me["permissions"].end(), "plan.create"), me["permissions"].end());
    long long admin = make_user("admin", "system_admin", city);
    long long foreign = count("SELECT id FROM user_identity WHERE user_id = " + std::to_string(admin));
    r = call("POST", "/api/auth/switch", nlohmann::json({{"identity_id", foreign}}).dump(), &s);
    EXPECT_EQ(r.status, 404);
}

TEST_F(AuthApi, AdminTiersManageOnlyBelowThemselves) {
    make_user("admin", "system_admin", city);
    make_user("yz_admin", "district_admin", yuzhong);
    make_user("office_admin", "unit_admin", yuzhong_office);
    long long spb_user = make_user("spb_inspector", "inspector", shapingba);
    long long yz_user = make_user("yz_inspector", "inspector", yuzhong);
    Session dist = login("yz_admin"), unit = login("office_admin");

    auto body = [&](const std::string& account, long long unit_id, const std::string& role) {
        return nlohmann::json({{"account", account}, {"name", "测试用户"}, {"password", "Jiefangbei#2026"},
                               {"identities", {{{"unit_id", unit_id}, {"role_code", role}}}}})
            .dump();
    };
    auto r = call("POST", "/api/users", body("yz_new", yuzhong_office, "inspector"), &dist);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(parse(r)["must_change_password"], true);
    r = call("POST", "/api/users", body("spb_new", shapingba, "inspector"), &dist);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "out_of_scope");
    r = call("POST", "/api/users", body("yz_boss", yuzhong, "system_admin"), &dist);
    EXPECT_EQ(r.status, 403);
    r = call("POST", "/api/users", body("yz_peer", yuzhong, "district_admin"), &dist);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "role_above_admin");
    r = call("POST", "/api/users", body("yz_new", yuzhong, "inspector"), &dist);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["field"], "account");
    r = call("POST", "/api/users", body("x", yuzhong, "inspector"), &dist);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(call("GET", "/api/users/" + std::to_string(spb_user), {}, &dist).status, 403);
    EXPECT_EQ(call("PUT", "/api/users/" + std::to_string(spb_user), R"({"active":false})", &dist).status, 403);
    EXPECT_EQ(call("GET", "/api/users/" + std::to_string(yz_user), {}, &dist).status, 200);

    auto list = parse(call("GET", "/api/users?page_size=50", {}, &dist));
    std::set<std::string> seen;
    for (const auto& u : list["items"]) seen.insert(u["account"]);
    EXPECT_EQ(seen, (std::set<std::string>{"office_admin", "yz_admin", "yz_inspector", "yz_new"}));
    list = parse(call("GET", "/api/users?q=" + std::string("yz_in"), {}, &dist));
    EXPECT_EQ(list["total"], 1);

    // The unit admin of the office manages the office only.
    EXPECT_EQ(call("GET", "/api/users/" + std::to_string(yz_user), {}, &unit).status, 403);
    r = call("POST", "/api/users", body("office_new", yuzhong_office, "inspector"), &unit);
    EXPECT_EQ(r.status, 201) << r.body;
    long long office_new = parse(r)["id"];
    r = call("POST", "/api/users/" + std::to_string(office_new) + "/reset-password", R"({"password":"Jiefangbei#2027"})", &unit);
    EXPECT_EQ(r.status, 204) << r.body;
    r = call("PUT", "/api/users/" + std::to_string(office_new), R"({"active":false,"certificate_no":"渝执01234"})", &unit);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["active"], false);
    EXPECT_EQ(login_raw("office_new", "Jiefangbei#2027").status, 403);

    // Only the system administrator edits roles.
    EXPECT_EQ(call("POST", "/api/roles", R"({"code":"x_role","name":"X","data_scope":"unit","permissions":[]})", &dist).status, 403);
}

TEST_F(AuthApi, RolesOrgTreeAndLoginLog) {
    make_user("admin", "system_admin", city);
    make_user("yz_admin", "district_admin", yuzhong);
    Session s = login("admin");
    auto r = call("POST", "/api/roles", R"({"code":"statistician","name":"统计员","data_scope":"district","permissions":["registry.read","audit.read"]})", &s);
    ASSERT_EQ(r.status, 201) << r.body;
    long long rid = parse(r)["id"];
    EXPECT_EQ(call("POST", "/api/roles", R"({"code":"bad","name":"坏","data_scope":"district","permissions":["root"]})", &s).status, 422);
    r = call("PUT", "/api/roles/" + std::to_string(rid), R"({"permissions":["registry.read"],"data_scope":"unit"})", &s);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["permissions"], nlohmann::json::array({"registry.read"}));
    EXPECT_EQ(parse(call("GET", "/api/roles?q=统计员", {}, &s))["total"], 1);
    r = call("GET", "/api/roles/" + std::to_string(role_id("district_admin")) + "/members", {}, &s);
    EXPECT_EQ(parse(r)["items"][0]["account"], "yz_admin");
    EXPECT_EQ(call("DELETE", "/api/roles/" + std::to_string(role_id("leader")), {}, &s).status, 409);
    EXPECT_EQ(call("DELETE", "/api/roles/" + std::to_string(rid), {}, &s).status, 204);
    auto perms = parse(call("GET", "/api/permissions", {}, &s));
    EXPECT_GE(perms["items"].size(), 16u);
    EXPECT_EQ(perms["items"][0]["label"], "查看一单两库");

    auto tree = parse(call("GET", "/api/org-tree", {}, &s));
    ASSERT_EQ(tree["items"].size(), 1u);
    const auto& cq = tree["items"][0];
    EXPECT_EQ(cq["name"], "重庆市");
    EXPECT_EQ(cq["type"], "city");
    // The city bureau hangs under the city; the districts carry their bureaus; the office nests in its bureau.
    std::string dump = cq.dump();
    EXPECT_NE(dump.find("渝中区"), std::string::npos);
    bool found_office = false;
    for (const auto& child : cq["children"])
        if (child.value("name", "") == "渝中区")
            for (const auto& unit : child["children"])
                for (const auto& sub : unit["children"])
                    if (sub.value("name", "") == "渝中区市场监督管理局解放碑市场监管所") found_office = true;
    EXPECT_TRUE(found_office) << dump;
    Session d = login("yz_admin");
    auto dtree = parse(call("GET", "/api/org-tree", {}, &d)).dump();
    EXPECT_EQ(dtree.find("沙坪坝"), std::string::npos);
    EXPECT_NE(dtree.find("信用监督管理科"), std::string::npos);

    login_raw("admin", "Wrong#Pass99");
    auto log = parse(call("GET", "/api/login-log?account=admin&success=false", {}, &s));
    ASSERT_EQ(log["total"], 1);
    EXPECT_EQ(log["items"][0]["reason"], "bad_password");
    EXPECT_EQ(log["items"][0]["user_agent"], "gtest");
    EXPECT_EQ(call("GET", "/api/login-log?success=maybe", {}, &s).status, 400);
    EXPECT_EQ(call("GET", "/api/login-log?from=not-a-date", {}, &s).status, 422);
    // The district admin sees its own district's people only.
    auto dlog = parse(call("GET", "/api/login-log", {}, &d));
    for (const auto& e : dlog["items"]) EXPECT_EQ(e["account"], "yz_admin");
}

TEST_F(AuthApi, PermissionMatrixOverEveryRoute) {
    make_user("admin", "system_admin", city);
    long long nobody_role = 0;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        nobody_role = tx.exec1("INSERT INTO role(code, name, permissions, data_scope) VALUES ('nobody', '无权限', '{}', 'self') RETURNING id")[0].as<long long>();
        tx.commit();
    }
    (void)nobody_role;
    make_user("nobody1", "nobody", yuzhong);
    make_user("leader1", "leader", city);
    Session admin = login("admin"), nobody = login("nobody1"), leader = login("leader1");
    auto created = call("POST", "/api/enterprise-types", R"({"code":"9300","name":"个人独资试点"})", &admin);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string some_user = std::to_string(count("SELECT id FROM app_user WHERE account = 'leader1'"));

    auto expand = [&](std::string p) {
        auto rep = [&](const std::string& from, const std::string& to) {
            if (auto at = p.find(from); at != std::string::npos) p.replace(at, from.size(), to);
        };
        rep("{entity}", "enterprise-types");
        rep("{year}", "2026");
        if (p.rfind("/api/users/", 0) == 0) rep("{id}", some_user);
        if (p.rfind("/api/roles/", 0) == 0) rep("{id}", std::to_string(role_id("leader")));
        rep("{id}", p.rfind("/api/enterprise-types/", 0) == 0 ? "9300" : "1");
        for (const char* tile : {"{layer}", "{z}", "{x}", "{y}"}) rep(tile, tile[1] == 'l' ? "base" : "0");  // map tiles
        rep("{collectionId}", "patrol_points");  // OGC API Features
        rep("{featureId}", "1");
        rep("{task}", "1");  // a department's work (task × unit)
        rep("{unit}", "1");
        return p;
    };
    size_t checked = 0;
    for (const auto& route : router.routes()) {
        const std::string path = expand(route.pattern);
        ASSERT_EQ(path.find('{'), std::string::npos) << route.pattern;
        const std::string what = route.method + " " + path + " (" + route.permission + ")";
        const std::string body = route.method == "GET" ? "" : "{}";
        auto r = call(route.method, path, body);
        if (route.permission == "public") {
            EXPECT_NE(r.status, 401) << what;
            EXPECT_NE(r.status, 403) << what;
            continue;
        }
        EXPECT_EQ(r.status, 401) << what;
        const bool logout = path.find("/logout") != std::string::npos;
        r = call(route.method, path, body, &nobody);
        if (logout) nobody = login("nobody1");
        if (route.permission == "authenticated" || route.permission == "session") {
            EXPECT_NE(r.status, 401) << what << r.body;
            EXPECT_NE(r.status, 403) << what << r.body;
        } else {
            EXPECT_EQ(r.status, 403) << what << r.body;
            EXPECT_EQ(parse(r)["error"]["code"], "forbidden") << what;
        }
        r = call(route.method, path, body, &admin);
        EXPECT_NE(r.status, 401) << what << r.body;
        EXPECT_NE(r.status, 403) << what << r.body;
        if (logout) admin = login("admin");
        ++checked;
    }
    EXPECT_GT(checked, 20u);
    // The read-only leader may read the registry but not change it.
    EXPECT_EQ(call("GET", "/api/enterprise-types", {}, &leader).status, 200);
    EXPECT_EQ(call("PUT", "/api/enterprise-types/9300", R"({"name":"x"})", &leader).status, 403);
    EXPECT_EQ(call("DELETE", "/api/enterprise-types/9300", {}, &leader).status, 403);
}

using twindraw::testing::SmsSink;

TEST_F(AuthApi, SmsCodeThroughTheGatewayCompletesTheSecondFactor) {
    long long id = make_user("sms_user", "inspector", yuzhong, false, "13800000001");
    sql("UPDATE app_user SET totp_secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', totp_enabled = true WHERE id = " + std::to_string(id));
    SmsSink sink;
    app->auth.sms_gateway_url = sink.url();
    auto r = login_raw("sms_user", kPassword, "mobile");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = parse(r);
    EXPECT_EQ(j["methods"], nlohmann::json::array({"totp", "sms"}));
    const std::string challenge = j["challenge"];
    r = call("POST", "/api/auth/sms/send", nlohmann::json({{"challenge", challenge}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    std::string received = sink.request();
    ASSERT_NE(received.find("POST /sms"), std::string::npos) << received;
    auto sent = nlohmann::json::parse(received.substr(received.find("\r\n\r\n") + 4));
    EXPECT_EQ(sent["phone"], "13800000001");
    std::smatch m;
    std::string text = sent["text"];
    ASSERT_TRUE(std::regex_search(text, m, std::regex("([0-9]{6})"))) << text;
    const std::string code = m[1];
    // Only its hash is stored; a second code within the minute is refused.
    EXPECT_EQ(count("SELECT count(*) FROM sms_code WHERE code_hash = sha256(convert_to('" + std::to_string(id) + ":' || '" + code + "', 'UTF8'))"), 1);
    r = call("POST", "/api/auth/sms/send", nlohmann::json({{"challenge", challenge}}).dump());
    EXPECT_EQ(r.status, 429);
    r = call("POST", "/api/auth/second-factor", nlohmann::json({{"challenge", challenge}, {"code", code}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(parse(r).value("token", "").empty());
    EXPECT_EQ(count("SELECT count(*) FROM login_log WHERE account = 'sms_user' AND reason = 'ok_sms'"), 1);
}
