// One request must not take the server down (issue 12 §2): the JSON nesting bound, a
// wrong JSON type or a bad number named as a 400, malformed Cookie and Content-Length
// headers, per-route body limits checked before the body is read (the smallest for a
// caller without a session), and the JSON-only rule for JSON bodies (§5, login CSRF) —
// through dispatch() and through a real `twindraw serve` on a throwaway database.
#include "common-pg.hpp"
#include "raw-http.hpp"
#include "serve-process.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sessions.hpp"

#include <filesystem>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::raw_exchange;
using twindraw::testing::ServeProcess;
using twindraw::testing::TempDatabase;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const char* kPassword = "Limits#Admin-2026";

class RequestLimits : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("INSERT INTO division(code, name, level, parent_code) VALUES ('500000', '重庆市', 1, NULL),"
                " ('500103', '渝中区', 3, '500000')");
        tx.exec("INSERT INTO authority(id, name, kind, division_code) VALUES (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103')");
        tx.exec_params("INSERT INTO app_user(id, account, name, password_hash, must_change_password)"
                       " VALUES (77, 'limits', '管理员', $1, false)",
                       accounts::hash_password(kPassword));
        tx.exec("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                " SELECT 77, 900, id, true FROM role WHERE code = 'system_admin'");
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", (fs::temp_directory_path() / ("twindraw-limits-" + db.name())).string()});
        register_all(router, *app);
    }

    std::string token() {
        auto r = accounts::login(db.pool(), "limits", kPassword, "bearer", {"127.0.0.1", "gtest"}, {}, {});
        EXPECT_EQ(r.status, accounts::LoginResult::Status::Ok);
        return r.token;
    }

    Response call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& bearer = {}, const std::string& type = "application/json") {
        Request req;
        req.method = method;
        req.path = path;
        req.body = body;
        req.peer = "192.0.2.7";
        if (!type.empty()) req.headers["content-type"] = type;
        if (!bearer.empty()) req.headers["authorization"] = "Bearer " + bearer;
        return dispatch(router, "", req, app->authenticator.get());
    }

    static Json error_of(const Response& r) { return Json::parse(r.body)["error"]; }

    TempDatabase db;
    std::unique_ptr<App> app;
    Router router;
};

std::string deep(size_t n) { return std::string(n, '[') + std::string(n, ']'); }

}  // namespace

// A 600 KB body nested 100,000 deep used to crash the process through recursion; the
// bound is checked before anything walks the value.
TEST_F(RequestLimits, DeeplyNestedJsonIs400BeforeAnyHandlerWalksIt) {
    const std::string t = token();
    const std::string body = "{\"name\":" + deep(100000) + "}";
    for (const char* path : {"/api/subjects", "/api/plans", "/api/users"}) {
        auto r = call("POST", path, body, t);
        EXPECT_EQ(r.status, 400) << path << " " << r.body.substr(0, 200);
        EXPECT_EQ(error_of(r)["code"], "json_too_deep") << path;
    }
    // The bound is 64 levels: 64 pass the parser (the handler judges them), 65 do not.
    EXPECT_NE(error_of(call("POST", "/api/subjects", "{\"name\":" + deep(63) + "}", t))["code"], "json_too_deep");
    EXPECT_EQ(error_of(call("POST", "/api/subjects", "{\"name\":" + deep(64) + "}", t))["code"], "json_too_deep");
    // Brackets inside strings are text, not nesting.
    EXPECT_EQ(json_depth("{\"a\":\"" + std::string(1000, '[') + "\"}"), 1);
    EXPECT_EQ(json_depth("{\"a\":\"\\\"[[[\"}"), 1);
}

// {"client":1} used to answer 500 (nlohmann's type_error escaping the handler).
TEST_F(RequestLimits, AWrongJsonTypeIs400NamingTheField) {
    auto r = call("POST", "/api/auth/login", R"({"account":"limits","password":"x","client":1})");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(error_of(r)["code"], "bad_type");
    EXPECT_EQ(error_of(r)["field"], "client");
    EXPECT_NE(error_of(r)["message"].get<std::string>().find("client"), std::string::npos);
    EXPECT_EQ(r.body.find("json.exception"), std::string::npos);
    EXPECT_EQ(json_error_field("[json.exception.type_error.302] (/items/0/name) type must be string"), "items.0.name");
    EXPECT_EQ(json_error_field("[json.exception.type_error.302] type must be string"), "");
}

TEST_F(RequestLimits, AnOutOfRangeBboxNumberIs400NamingBbox) {
    const std::string t = token();
    Request req;
    req.method = "GET";
    req.path = "/ogc/collections/market_subjects/items";
    req.headers["authorization"] = "Bearer " + t;
    for (const char* bbox : {"1e999,0,2,1", "0,1e-999,1,2", "-1e999,0,0,0"}) {
        req.query = {{"bbox", bbox}};
        auto r = dispatch(router, "", req, app->authenticator.get());
        EXPECT_EQ(r.status, 400) << bbox << " " << r.body;
        EXPECT_EQ(error_of(r)["field"], "bbox") << bbox;
    }
}

// Login CSRF: a page of another site can post text/plain (or a blob without a type)
// without a preflight, never application/json.
TEST_F(RequestLimits, JsonBodiesAreOnlyTakenAsApplicationJson) {
    const std::string body = Json({{"account", "limits"}, {"password", kPassword}}).dump();
    for (const char* type : {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""}) {
        auto r = call("POST", "/api/auth/login", body, "", type);
        EXPECT_EQ(r.status, 415) << type << " " << r.body;
        EXPECT_EQ(error_of(r)["code"], "unsupported_media_type") << type;
    }
    EXPECT_EQ(call("POST", "/api/auth/login", body, "", "application/json; charset=utf-8").status, 200);
    // The same for a signed-in route.
    EXPECT_EQ(call("POST", "/api/subjects", R"({"name":"x"})", token(), "text/plain").status, 415);
}

TEST_F(RequestLimits, AnAnonymousCallerGetsTheSmallestBodyLimit) {
    const std::string padded = R"({"account":"limits","password":")" + std::string(70 * 1024, 'x') + "\"}";
    auto r = call("POST", "/api/auth/login", padded);
    EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);
    EXPECT_EQ(error_of(r)["code"], "body_too_large");
    // A signed-in caller may send a JSON route up to 1 MB (this one is then refused for
    // what it says, not for its size).
    EXPECT_NE(call("POST", "/api/subjects", R"({"name":")" + std::string(70 * 1024, 'x') + "\"}", token()).status, 413);
    EXPECT_EQ(body_limit(nullptr, true, 100), kAnonymousBodyLimit);
}

// ---- through the socket: `twindraw serve` ---------------------------------------------

class RequestLimitsServe : public RequestLimits {
protected:
    void SetUp() override {
        RequestLimits::SetUp();
        serve = std::make_unique<ServeProcess>(db.url(), work, std::vector<std::string>{"--web-dir", ""});
        ASSERT_TRUE(serve->up()) << serve->log();
    }
    void TearDown() override {
        serve.reset();
        std::error_code ec;
        fs::remove_all(work, ec);
    }
    bool healthy() { return twindraw::testing::http_status(serve->base() + "/healthz") == 200; }

    fs::path work = fs::temp_directory_path() / ("twindraw-limits-serve-" + db.name());
    std::unique_ptr<ServeProcess> serve;
};

TEST_F(RequestLimitsServe, DeepJsonOverTheSocketIs400AndTheServerLives) {
    const std::string body = "{\"name\":" + deep(100000) + "}";
    auto a = raw_exchange(serve->port(), "POST /api/subjects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() +
                                             "\r\nContent-Type: application/json\r\nContent-Length: " +
                                             std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_EQ(Json::parse(a.body)["error"]["code"], "json_too_deep");
    EXPECT_TRUE(healthy()) << serve->log();
}

// Pistache's parser used to answer these with 500 and its exception's text.
TEST_F(RequestLimitsServe, MalformedCookieAndContentLengthAre400NamingTheHeader) {
    struct Case {
        std::string headers, field;
    };
    for (const Case& c : std::vector<Case>{{"Cookie: a\r\n", "Cookie"},
                                           {"Cookie: td_session\r\n", "Cookie"},
                                           {"Cookie: =x\r\n", "Cookie"},
                                           {"Content-Length: 99999999999999999999\r\n", "Content-Length"},
                                           {"Content-Length: -1\r\n", "Content-Length"},
                                           {"Content-Length: abc\r\n", "Content-Length"},
                                           {"Content-Length: 1e3\r\n", "Content-Length"},
                                           {"Content-Length: 3\r\nContent-Length: 4\r\n", "Content-Length"}}) {
        auto a = raw_exchange(serve->port(), "POST /api/auth/login HTTP/1.1\r\nHost: x\r\n" + c.headers + "\r\n",
                              std::chrono::seconds(5));
        EXPECT_EQ(a.status, 400) << c.headers << a.body;
        auto j = Json::parse(a.body, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << c.headers << a.body;
        EXPECT_EQ(j["error"]["field"], c.field) << c.headers;
        EXPECT_TRUE(a.header("content-type").rfind("application/json", 0) == 0) << c.headers;
    }
    // A cookie with an empty value is valid (RFC 6265), though Pistache's parser threw on it.
    auto ok = raw_exchange(serve->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: theme=; lang=zh\r\n\r\n");
    EXPECT_EQ(ok.status, 200) << ok.body;
    // The session cookie still reaches the authenticator past Pistache's cookie parser.
    auto r = accounts::login(db.pool(), "limits", kPassword, "cookie", {"127.0.0.1", "gtest"}, {}, {});
    auto me = raw_exchange(serve->port(), "GET /api/auth/me HTTP/1.1\r\nHost: x\r\nCookie: theme=; td_session=" +
                                              r.token + "\r\n\r\n");
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_TRUE(healthy());
}

// The head is judged before the body: a body over the route's limit is never waited for.
TEST_F(RequestLimitsServe, ABodyOverItsLimitIsRefusedBeforeItIsSent) {
    auto head = [](const std::string& path, size_t length, const std::string& extra = {}) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
               "Content-Length: " + std::to_string(length) + "\r\n\r\n";
    };
    const std::string bearer = "Authorization: Bearer " + token() + "\r\n";
    struct Case {
        std::string request;
        int status;
    };
    // Only the head is sent: an answer within two seconds means nothing waited for the body.
    for (const Case& c : std::vector<Case>{
             {head("/api/auth/login", 100u * 1024 * 1024), 413},                       // anonymous: 64 KB
             {head("/api/auth/login", 65 * 1024 + 1), 413},
             {head("/api/subjects", 2u * 1024 * 1024, bearer), 413},                    // signed in, JSON: 1 MB
             {head("/api/subjects", 2u * 1024 * 1024, "Authorization: Bearer forged\r\n"), 413},  // not a session
             {head("/api/imports", 500u * 1024 * 1024, bearer), 413},                   // over the upload limit
             {head("/api/subjects", 10, "Transfer-Encoding: chunked\r\n"), 411}}) {
        const auto started = std::chrono::steady_clock::now();
        auto a = raw_exchange(serve->port(), c.request, std::chrono::seconds(2));
        EXPECT_EQ(a.status, c.status) << c.request << a.body;
        EXPECT_FALSE(a.timed_out) << c.request;
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
        if (a.status == 413) {
            EXPECT_EQ(Json::parse(a.body)["error"]["code"], "body_too_large");
        }
    }
    // Within the limit the server does wait for the body (and then judges it).
    auto a = raw_exchange(serve->port(), head("/api/subjects", 1000, bearer), std::chrono::milliseconds(1500));
    EXPECT_TRUE(a.timed_out);
    EXPECT_TRUE(healthy());
}
