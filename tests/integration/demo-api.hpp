// A fixture for the API tests on the demo city: one throwaway database per test suite
// with the reference data and the demo city (workflows/demo-city.hpp), whose accounts
// have done their first login (password kPassword), and calls through dispatch() with
// the bearer token of a real login, so that permissions, data scopes and outcomes are
// checked end to end. A suite derives from DemoApiTest, calls start_demo_city() (or
// makes db with its own city) and start_api() in its SetUpTestSuite and stop() in its
// TearDownTestSuite. ctest runs each test in its own process, so a suite's setup runs
// once per test.
#pragma once

#include "common-pg.hpp"

#include "server/app.hpp"
#include "workflows/account-password.hpp"
#include "workflows/demo-city.hpp"
#include "workflows/reference-data.hpp"

#include <array>
#include <concepts>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace twindraw::testing {

/// The password of the demo accounts and of the accounts the tests add.
inline constexpr const char* kDemoPassword = "Twindraw@2026";

class DemoApiTest : public ::testing::Test {
protected:
    using Json = nlohmann::json;
    using Response = server::Response;

    static constexpr const char* kPassword = kDemoPassword;

    /// Makes db: reference data, then the demo city with options; every account has
    /// done its first login (must_change_password = false).
    static void start_demo_city(const demo::Options& options) {
        db = new TempDatabase();
        pqxx::connection c(db->url());
        const std::string src = TWINDRAW_SOURCE_DIR;
        reference::load(c, src + "/data/refdata/node_modules", src + "/data");
        demo::generate(db->pool(), options);
        pqxx::work tx(c);
        tx.exec("UPDATE app_user SET must_change_password = false");
        tx.commit();
    }

    /// Makes app and router over db. data_name: the file store is a fresh directory
    /// "twindraw-<data_name>-<db name>" in the temporary directory (removed by stop()),
    /// or none when empty. configure may set App fields before the routes are registered.
    static void start_api(const std::string& data_name = "", const std::function<void(server::App&)>& configure = {}) {
        data_dir =
            data_name.empty()
                ? std::string()
                : (std::filesystem::temp_directory_path() / ("twindraw-" + data_name + "-" + db->name())).string();
        app = new server::App{db->pool(), "", data_dir};
        if (configure) configure(*app);
        router = new server::Router();
        server::register_all(*router, *app);
    }

    static void stop() {
        delete router;
        delete app;
        delete db;
        router = nullptr;
        app = nullptr;
        db = nullptr;
        tokens.clear();
        if (!data_dir.empty()) std::filesystem::remove_all(data_dir);
        data_dir.clear();
    }

    /// The market bureau of a district (division code), e.g. 500103 渝中区.
    static long long bureau(pqxx::transaction_base& tx, const std::string& division_code) {
        return tx
            .exec_params1("SELECT id FROM authority WHERE division_code = $1 AND kind = 'market_bureau'",
                          division_code)[0]
            .as<long long>();
    }

    /// The inspector linked to a demo account (inspector1..3).
    static long long inspector_of(pqxx::transaction_base& tx, const std::string& account) {
        return tx.exec_params1("SELECT inspector_id FROM app_user WHERE account = $1", account)[0].as<long long>();
    }

    /// At [1]..[3] the inspectors of the demo accounts inspector1..3, at [4] the first
    /// other inspector of unit (without an account).
    static std::array<long long, 5> four_inspectors(pqxx::transaction_base& tx, long long unit) {
        std::array<long long, 5> out{};
        for (int n = 1; n <= 3; ++n) out[n] = inspector_of(tx, "inspector" + std::to_string(n));
        out[4] = tx.exec_params1(
                       "SELECT id FROM inspector WHERE authority_id = $1 AND id NOT IN ($2, $3, $4)"
                       " ORDER BY id LIMIT 1",
                       unit, out[1], out[2], out[3])[0]
                     .as<long long>();
        return out;
    }

    /// The body of POST /api/draws over 渝中区 (500103) for inspection item: every
    /// stratum (risk 1..4 × credit A..D) with `each` (e.g. "\"ratio\":50"), 2 groups of
    /// 2 inspectors of unit (without its sub-units).
    static std::string yuzhong_draw_body(const std::string& title, long long item, long long unit,
                                         const std::string& each) {
        std::string strata;
        for (int r = 1; r <= 4; ++r)
            for (char cr : std::string("ABCD"))
                strata += std::string(strata.empty() ? "" : ",") + "{\"risk\":" + std::to_string(r) + ",\"credit\":\"" +
                          cr + "\"," + each + "}";
        return "{\"title\":\"" + title + "\",\"object_kind\":\"market_subject\",\"item_id\":" + std::to_string(item) +
               ",\"scope\":{\"division_codes\":[\"500103\"]},\"strata\":[" + strata +
               "],\"groups\":2,\"per_group\":2,\"inspectors\":{\"unit_ids\":[" + std::to_string(unit) +
               "],\"include_subunits\":false}}";
    }

    /// A new account (password kPassword, first login done) with one default identity:
    /// role (code) at unit, linked to inspector unless 0. name defaults to account.
    static long long add_user(pqxx::work& tx, const std::string& account, long long unit, const std::string& role,
                              long long inspector = 0, const std::string& name = "") {
        const long long id =
            tx.exec_params1(
                  "INSERT INTO app_user(account, name, password_hash, must_change_password, inspector_id)"
                  " VALUES ($1, $2, $3, false, NULLIF($4, 0)) RETURNING id",
                  account, name.empty() ? account : name, accounts::hash_password(kPassword), inspector)[0]
                .as<long long>();
        tx.exec_params(
            "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
            " SELECT $1, $2, id, true FROM role WHERE code = $3",
            id, unit, role);
        return id;
    }

    /// A request as the API server gets it; bearer "" sends no session.
    static Response raw(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& bearer, const std::string& type = "application/json") {
        server::Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = server::parse_query(target.substr(q + 1));
        req.body = body;
        req.peer = "192.0.2.46";
        req.headers["content-type"] = type;
        if (!bearer.empty()) req.headers["authorization"] = "Bearer " + bearer;
        return server::dispatch(*router, "", req, app->authenticator.get());
    }

    /// The token of a (mobile) login as account, made once per suite.
    static std::string token(const std::string& account) {
        auto it = tokens.find(account);
        if (it != tokens.end()) return it->second;
        auto r = raw("POST", "/api/auth/login",
                     Json({{"account", account}, {"password", kPassword}, {"client", "mobile"}}).dump(), "");
        EXPECT_EQ(r.status, 200) << account << ": " << r.body;
        auto j = Json::parse(r.body);
        EXPECT_EQ(j.value("status", ""), "ok") << account << ": " << r.body;
        return tokens[account] = j.value("token", "");
    }

    /// A call as account ("": without a session) with a JSON body (null: none).
    static Response call(const std::string& account, const std::string& method, const std::string& target,
                         const Json& body = nullptr) {
        return raw(method, target, body.is_null() ? "" : body.dump(), account.empty() ? "" : token(account));
    }

    /// A call as account with a body sent as it is (a string).
    template <class Text>
    requires std::convertible_to<const Text&, std::string_view>
    static Response call(const std::string& account, const std::string& method, const std::string& target,
                         const Text& body) {
        return raw(method, target, std::string(std::string_view(body)), account.empty() ? "" : token(account));
    }

    /// Expects status; returns the body (null when empty).
    static Json ok(const Response& r, int status = 200) {
        EXPECT_EQ(r.status, status) << r.body;
        return r.body.empty() ? Json() : Json::parse(r.body);
    }

    /// Expects status with the error code (and state, when given) and a message;
    /// returns the error object.
    static Json refused(const Response& r, int status, const std::string& code, const std::string& state = "") {
        EXPECT_EQ(r.status, status) << r.body;
        auto e = Json::parse(r.body)["error"];
        EXPECT_EQ(e.value("code", ""), code) << r.body;
        if (!state.empty()) {
            EXPECT_EQ(e.value("state", ""), state) << r.body;
        }
        EXPECT_FALSE(e.value("message", "").empty());
        return e;
    }

    static Json parse(const Response& r) { return Json::parse(r.body); }

    static constexpr const char* kDrawPassword = "Draw#2026";

    /// account sets its draw password (DRAW-11) to kDrawPassword.
    static void set_draw_password(const std::string& account = "yz_assigner") {
        ok(call(account, "PUT", "/api/draws-password",
                {{"login_password", kPassword}, {"draw_password", kDrawPassword}}));
    }

    /// The 监督人员 (yz_reviewer holds draw.witness) enters a witness value: the committed
    /// draw is revealed (issue 12 §3).
    static void witness_draw(long long draw, const std::string& account = "yz_reviewer") {
        ok(call(account, "POST", "/api/draws/" + std::to_string(draw) + "/witness",
                {{"witness", "5a5a5a5a5a5a5a5a0123456789abcdef"}}));
    }

    /// account makes a stand-alone draw (POST /api/draws) and yz_reviewer witnesses it;
    /// returns its id (the draw is revealed, not confirmed).
    static long long new_draw(const std::string& body, const std::string& account = "yz_assigner") {
        auto r = ok(call(account, "POST", "/api/draws", body), 201);
        const long long id = r.is_object() ? r.value("id", 0LL) : 0;
        if (id) witness_draw(id);
        return id;
    }

    /// account confirms a draw with its draw password (witnessed first when it is only committed).
    static void confirm_draw(long long draw, const std::string& account = "yz_assigner") {
        auto d = ok(call(account, "GET", "/api/draws/" + std::to_string(draw)));
        if (d.is_object() && d.value("status", "") == "committed") witness_draw(draw);
        ok(call(account, "POST", "/api/draws/" + std::to_string(draw) + "/confirm", {{"password", kDrawPassword}}));
    }

    /// yz_assigner makes the plan and distributes it; returns its id.
    static long long distributed_plan(const Json& plan) {
        const long long id = ok(call("yz_assigner", "POST", "/api/plans", plan), 201)["id"];
        ok(call("yz_assigner", "POST", "/api/plans/" + std::to_string(id) + "/distribute", Json::object()));
        return id;
    }

    /// yz_assigner makes the task and takes it to state: created, submitted, approved
    /// (by yz_reviewer) or received (by yz_assigner); returns its id.
    static long long task_in_state(const Json& task, const std::string& state) {
        const long long id = ok(call("yz_assigner", "POST", "/api/tasks", task), 201)["id"];
        const std::string t = "/api/tasks/" + std::to_string(id);
        if (state == "created") return id;
        ok(call("yz_assigner", "POST", t + "/submit"));
        if (state == "submitted") return id;
        ok(call("yz_reviewer", "POST", t + "/approve", {{"opinion", "同意"}}));
        if (state == "approved") return id;
        EXPECT_EQ(state, "received");
        ok(call("yz_assigner", "POST", t + "/receive"));
        return id;
    }

    /// The field names of a 422 answer's errors[].
    static std::set<std::string> error_fields(const Response& r) {
        std::set<std::string> out;
        for (const auto& e : Json::parse(r.body)["error"].value("errors", Json::array()))
            out.insert(e.value("field", ""));
        return out;
    }

    /// The account's unread system messages.
    static long long unread(const std::string& account) {
        return ok(call(account, "GET", "/api/messages/unread"))["total"].get<long long>();
    }

    /// Rows read as the owner (not through the API).
    static pqxx::result sql(const std::string& q) {
        pqxx::connection c(db->url());
        pqxx::read_transaction tx(c);
        return tx.exec(q);
    }

    static inline TempDatabase* db = nullptr;
    static inline server::App* app = nullptr;
    static inline server::Router* router = nullptr;
    static inline std::map<std::string, std::string> tokens;
    static inline std::string data_dir;
};

}  // namespace twindraw::testing
