// Every route of the application declares a permission, and only ones the catalogue
// knows (issue 3: "a test fails if a route declares none"). Also the access checks of
// dispatch() that need no database.
#include "server/app.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-permissions.hpp"

#include <gtest/gtest.h>

using namespace twindraw;
using namespace twindraw::server;

TEST(RoutePermissions, EveryRouteDeclaresAKnownPermission) {
    pg::Pool pool("dbname=never_connected", 1);  // the pool connects lazily; nothing runs here
    App app{pool, "", ""};
    Router router;
    register_all(router, app);
    ASSERT_GT(router.routes().size(), 20u);
    for (const auto& r : router.routes()) {
        EXPECT_FALSE(r.permission.empty()) << r.method << " " << r.pattern;
        EXPECT_TRUE(accounts::is_known_route_permission(r.permission))
            << r.method << " " << r.pattern << " declares unknown permission " << r.permission;
    }
    // Only what must be reachable without a session is public.
    for (const auto& r : router.routes()) {
        if (r.permission != "public") continue;
        bool allowed = r.pattern == "/healthz" || r.pattern == "/readyz" || r.pattern == "/api/openapi.json" ||
                       r.pattern == "/api/auth/login" || r.pattern == "/api/auth/second-factor" ||
                       r.pattern == "/api/auth/sms/send" || r.pattern.rfind("/api/public/", 0) == 0 ||
                       r.pattern == "/api/auth/reset/send" || r.pattern == "/api/auth/reset";  // AUTH-3
        EXPECT_TRUE(allowed) << r.method << " " << r.pattern << " is public";
    }
}

TEST(RoutePermissions, CatalogueHasChineseLabelsAndNoPseudoPermissions) {
    for (const auto& p : accounts::permission_catalogue()) {
        EXPECT_FALSE(p.label.empty()) << p.name;
        EXPECT_TRUE(accounts::is_grantable_permission(p.name));
    }
    EXPECT_FALSE(accounts::is_grantable_permission("public"));
    EXPECT_FALSE(accounts::is_grantable_permission("authenticated"));
    EXPECT_TRUE(accounts::is_known_route_permission("session"));
    EXPECT_FALSE(accounts::is_known_route_permission("registry.delete"));
    EXPECT_EQ(accounts::scope_rank("all"), 0);
    EXPECT_EQ(accounts::scope_rank("self"), 4);
    EXPECT_EQ(accounts::scope_rank("everything"), -1);
}

namespace {
struct FixedAuthenticator : Authenticator {
    std::optional<Principal> who;
    std::optional<Principal> authenticate(const Request&) const override { return who; }
};

Request request(const std::string& method, const std::string& path) {
    Request r;
    r.method = method;
    r.path = path;
    return r;
}
}  // namespace

TEST(DispatchAccess, UnauthenticatedForbiddenCsrfAndPasswordChange) {
    Router router;
    router.add({"GET", "/open", "public", "", "", [](const Request&) { return Response::json(200, {}); }});
    router.add({"GET", "/read", "registry.read", "", "", [](const Request&) { return Response::json(200, {}); }});
    router.add({"POST", "/write", "registry.write", "", "", [](const Request&) { return Response::json(200, {}); }});
    router.add({"GET", "/me", "session", "", "", [](const Request&) { return Response::json(200, {}); }});
    router.add({"GET", "/actor", "registry.read", "", "", [](const Request&) {
                    const pg::Actor* a = pg::current_actor();
                    return Response::json(200, {{"user", a ? a->user_id : -1}, {"unit", a ? a->unit_id : -1}});
                }});
    FixedAuthenticator gate;

    auto r = request("GET", "/open");
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 200);
    r = request("GET", "/read");
    auto res = dispatch(router, "", r, &gate);
    EXPECT_EQ(res.status, 401);
    EXPECT_NE(res.body.find("unauthenticated"), std::string::npos);
    r = request("GET", "/read");
    EXPECT_EQ(dispatch(router, "", r).status, 401);  // no authenticator: closed, not open

    Principal p;
    p.user_id = 7;
    p.unit_id = 3;
    p.stage = "ok";
    p.csrf_token = "c1";
    p.permissions = {"registry.read"};
    p.via_cookie = true;
    gate.who = p;
    r = request("GET", "/read");
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 200);
    r = request("GET", "/actor");
    res = dispatch(router, "", r, &gate);
    EXPECT_EQ(nlohmann::json::parse(res.body)["user"], 7);
    EXPECT_EQ(nlohmann::json::parse(res.body)["unit"], 3);
    EXPECT_EQ(pg::current_actor(), nullptr);  // the scope ended with the request

    r = request("POST", "/write");
    res = dispatch(router, "", r, &gate);
    EXPECT_EQ(res.status, 403);
    EXPECT_NE(res.body.find("\"csrf\""), std::string::npos);  // CSRF is checked before the permission
    r = request("POST", "/write");
    r.headers["x-csrf-token"] = "c1";
    res = dispatch(router, "", r, &gate);
    EXPECT_EQ(res.status, 403);
    EXPECT_NE(res.body.find("\"forbidden\""), std::string::npos);
    gate.who->permissions.push_back("registry.write");
    r = request("POST", "/write");
    r.headers["x-csrf-token"] = "c2";
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 403);
    r = request("POST", "/write");
    r.headers["x-csrf-token"] = "c1";
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 200);
    gate.who->via_cookie = false;  // a bearer token needs no CSRF header
    r = request("POST", "/write");
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 200);

    gate.who->stage = "password_change";
    r = request("GET", "/read");
    res = dispatch(router, "", r, &gate);
    EXPECT_EQ(res.status, 403);
    EXPECT_NE(res.body.find("password_change_required"), std::string::npos);
    r = request("GET", "/me");
    EXPECT_EQ(dispatch(router, "", r, &gate).status, 200);
}
