#include "geo/error.hpp"
#include "server/http-server.hpp"
#include "workflows/registry-repo.hpp"

#include <gtest/gtest.h>
#include <pqxx/except>

using namespace twindraw;
using namespace twindraw::server;

namespace {
nlohmann::json body_of(const Response& r) { return nlohmann::json::parse(r.body); }
}  // namespace

TEST(ErrorModel, KindsMapToStatusWithStableCodeAndChineseMessage) {
    struct Case {
        Error error;
        int status;
    } cases[] = {
        {bad_request("bad_page", "页码不正确", "page"), 400},
        {not_found(), 404},
        {conflict("in_use", "仍被引用"), 409},
        {Error(Error::Kind::TooLarge, "file_too_large", "文件过大"), 413},
        {Error(Error::Kind::Unsupported, "not_a_table", "不是表格"), 415},
        {invalid("uscc_check_digit", "校验位错误", "uscc"), 422},
        {Error(Error::Kind::Unavailable, "db_unavailable", "数据库无法连接"), 503},
    };
    for (const auto& c : cases) {
        Response r = error_response(c.error);
        EXPECT_EQ(r.status, c.status) << c.error.code();
        auto j = body_of(r);
        EXPECT_EQ(j["error"]["code"], c.error.code());
        EXPECT_EQ(j["error"]["message"], c.error.message());
        if (!c.error.field().empty()) {
            EXPECT_EQ(j["error"]["field"], c.error.field());
        }
    }
}

TEST(ErrorModel, InternalDetailsNeverReachTheClient) {
    std::runtime_error secret("ERROR: relation \"market_subject\" SELECT password FROM x");
    Response r = error_response(secret);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("market_subject"), std::string::npos);
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos);
    EXPECT_EQ(body_of(r)["error"]["code"], "internal");

    Error internal(Error::Kind::Internal, "schema", "descriptor refers to table foo");
    r = error_response(internal);
    EXPECT_EQ(r.body.find("foo"), std::string::npos);
}

// Issue 12: a value PostgreSQL refuses is the client's fault, decided by SQLSTATE; its
// message (with SQL in it) never reaches the client, and our own SQL errors stay 500.
TEST(ErrorModel, ValuesPostgresRefusesAre4xxBySqlstate) {
    pqxx::data_exception date("ERROR:  date/time field value out of range: \"2026-02-30\"", "SELECT $1::date", "22008");
    Response r = error_response(date);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["error"]["code"], "bad_value");
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos);
    EXPECT_EQ(r.body.find("ERROR"), std::string::npos);
    EXPECT_EQ(error_response(pqxx::unique_violation("dup", "INSERT", "23505")).status, 409);
    EXPECT_EQ(error_response(pqxx::check_violation("chk", "INSERT", "23514")).status, 422);
    EXPECT_EQ(error_response(pqxx::insufficient_privilege("rls", "UPDATE", "42501")).status, 403);
    EXPECT_EQ(error_response(pqxx::syntax_error("ours", "SELEC", "42601")).status, 500);
}

TEST(ErrorModel, ValidationErrorListsEveryField) {
    registry::ValidationError v({{"uscc", "uscc_check_digit", "校验位错误"}, {"name", "required", "名称不能为空"}});
    Response r = error_response(v);
    EXPECT_EQ(r.status, 422);
    auto j = body_of(r);
    EXPECT_EQ(j["error"]["field"], "uscc");
    ASSERT_EQ(j["error"]["errors"].size(), 2u);
    EXPECT_EQ(j["error"]["errors"][1]["field"], "name");
}

TEST(ErrorModel, DispatchTurnsThrowsIntoJsonAndUnknownPathsInto404) {
    Router router;
    router.add({"GET", "/boom", "public", "", "", [](const Request&) -> Response { throw std::logic_error("secret"); }});
    router.add({"GET", "/bad", "public", "", "",
                [](const Request&) -> Response { throw bad_request("bad_thing", "参数不正确", "x"); }});
    Request req;
    req.method = "GET";
    req.path = "/boom";
    Response r = dispatch(router, "", req);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
    req.path = "/bad";
    EXPECT_EQ(dispatch(router, "", req).status, 400);
    req.path = "/api/none";
    r = dispatch(router, "", req);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(body_of(r)["error"]["code"], "not_found");
    req.method = "POST";
    req.path = "/bad";
    EXPECT_EQ(dispatch(router, "", req).status, 405);
}

TEST(ErrorModel, MalformedJsonBodyIs400) {
    Request req;
    req.headers["content-type"] = "application/json; charset=utf-8";
    req.body = "{not json";
    EXPECT_THROW(
        {
            try {
                req.json_body();
            } catch (const Error& e) {
                EXPECT_EQ(e.code(), "bad_json");
                throw;
            }
        },
        Error);
    req.body = "[1,2]";
    EXPECT_THROW(req.json_body(), Error);
}
