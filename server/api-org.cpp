// Organisation administration (SYS-1, SYS-8) under permission system.org: units and
// sections, each administrator only below its own tier (workflows/account-org.hpp).
// Also the unit tree the user forms need under system.users (GET /api/org-tree itself
// needs system.org, like the 组织机构 page that shows it).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/account-org.hpp"

namespace twindraw::server {

namespace {

accounts::AdminScope admin_of(const Request& req) {
    const Principal& p = *req.principal;
    return {p.user_id, p.unit_id, p.data_scope, p.permissions};
}

long long id_param(const Request& req) {
    const std::string& v = req.params.at("id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        throw bad_request("bad_id", "编号格式不正确", "id");
    return std::stoll(v);
}

}  // namespace

void register_org_routes(Router& router, App& app) {
    router.add({"GET", "/api/users/units", "system.users", "可为用户设置身份的单位树（与组织机构树相同，限管理范围内）", "系统管理",
                [&app](const Request& req) { return Response::json(200, accounts::org_tree(app.pool, admin_of(req))); }});

    router.add({"POST", "/api/org/units", "system.org", "新增单位（仅限本人管理级别以下）", "系统管理",
                [&app](const Request& req) {
                    return Response::json(201, accounts::create_unit(app.pool, admin_of(req), req.json_body()));
                },
                {}, "application/json"});
    router.add({"PUT", "/api/org/units/{id}", "system.org", "修改单位（仅限本人管理级别以下）", "系统管理",
                [&app](const Request& req) {
                    return Response::json(200, accounts::update_unit(app.pool, admin_of(req), id_param(req), req.json_body()));
                },
                {}, "application/json"});
    router.add({"DELETE", "/api/org/units/{id}", "system.org", "删除没有人员与数据引用的单位", "系统管理",
                [&app](const Request& req) {
                    accounts::delete_unit(app.pool, admin_of(req), id_param(req));
                    return Response::no_content();
                }});
    router.add({"POST", "/api/org/sections", "system.org", "新增科室", "系统管理",
                [&app](const Request& req) {
                    return Response::json(201, accounts::create_section(app.pool, admin_of(req), req.json_body()));
                },
                {}, "application/json"});
    router.add({"PUT", "/api/org/sections/{id}", "system.org", "修改科室", "系统管理",
                [&app](const Request& req) {
                    return Response::json(200, accounts::update_section(app.pool, admin_of(req), id_param(req), req.json_body()));
                },
                {}, "application/json"});
    router.add({"DELETE", "/api/org/sections/{id}", "system.org", "删除科室", "系统管理", [&app](const Request& req) {
                    accounts::delete_section(app.pool, admin_of(req), id_param(req));
                    return Response::no_content();
                }});
}

}  // namespace twindraw::server
