// A fixture for the HOME-1/SYS-4..6 API tests: a real PostGIS database with two units
// and three people, and calls through dispatch() as one of them (or nobody), so that
// permissions (401/403), validation (422) and outcomes are checked end to end.
#pragma once

#include "common-pg.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"

#include <memory>
#include <string>
#include <vector>

namespace twindraw::testing {

class SystemApi : public ::testing::Test {
protected:
    // People: 77 王管理 (admin, unit 900); 78 李两单位 (units 900 and 901); 79 赵渝北 (unit 901).
    static constexpr long long kAdmin = 77, kBoth = 78, kNorth = 79;
    static constexpr long long kCentral = 900, kNorthUnit = 901;

    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500112', '渝北区', 3, '500000');"
            "INSERT INTO authority(id, name, kind, division_code) VALUES"
            " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103'),"
            " (901, '重庆市渝北区市场监督管理局', 'market_bureau', '500112');"
            "INSERT INTO app_user(id, account, name, password_hash, phone) VALUES"
            " (77, 'wangadmin', '王管理', 'x', '13800000077'), (78, 'liboth', '李两单位', 'x', '13800000078'),"
            " (79, 'zhaonorth', '赵渝北', 'x', '13800000079');"
            "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
            " SELECT u, a, (SELECT id FROM role WHERE code = r), d FROM (VALUES"
            "  (77, 900, 'system_admin', true), (78, 900, 'inspector', true), (78, 901, 'inspector', false),"
            "  (79, 901, 'inspector', true)) AS t(u, a, r, d)");
        tx.commit();
        app = std::make_unique<server::App>(server::App{db.pool(), "", ""});
        server::register_all(router, *app);
    }

    server::Response call(const std::string& method, const std::string& target, const std::string& body = {},
                          long long user = kAdmin, std::vector<std::string> permissions = admin_permissions(),
                          long long unit = 0) {
        server::Request req = request(method, target, body);
        server::Principal p;
        p.user_id = user;
        p.identity_id = 0;
        p.unit_id = unit ? unit : (user == kNorth ? kNorthUnit : kCentral);
        p.stage = "ok";
        p.data_scope = user == kAdmin ? "all" : "self";
        p.permissions = std::move(permissions);
        req.principal = p;
        return server::dispatch(router, "", req);
    }

    /// As user without any permission (an inspector's view of system pages).
    server::Response as(long long user, const std::string& method, const std::string& target, const std::string& body = {}) {
        return call(method, target, body, user, {"registry.read", "job.submit"});
    }

    /// Without a session.
    server::Response anonymous(const std::string& method, const std::string& target, const std::string& body = {}) {
        server::Request req = request(method, target, body);
        return server::dispatch(router, "", req);
    }

    static std::vector<std::string> admin_permissions() {
        return {"system.users", "system.dict", "system.announce", "system.feedback", "audit.read"};
    }

    static nlohmann::json parse(const server::Response& r) { return nlohmann::json::parse(r.body); }

    /// The field names of a 422 answer's errors[].
    static std::vector<std::string> error_fields(const server::Response& r) {
        std::vector<std::string> out;
        auto j = parse(r);
        for (const auto& e : j["error"].value("errors", nlohmann::json::array())) out.push_back(e["field"]);
        return out;
    }

    /// Runs sql (a query, or a change with RETURNING in a CTE) and commits it.
    long long scalar(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        long long v = tx.exec1(sql)[0].as<long long>();
        tx.commit();
        return v;
    }

    TempDatabase db;
    std::unique_ptr<server::App> app;
    server::Router router;

private:
    static server::Request request(const std::string& method, const std::string& target, const std::string& body) {
        server::Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = server::parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = "application/json";
        req.peer = "192.0.2.9";
        return req;
    }
};

}  // namespace twindraw::testing
