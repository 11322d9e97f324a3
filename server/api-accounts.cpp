// Administration of users, roles and the organisation tree, and the login log
// (SYS-1..3, SYS-7, SYS-8). Every action is limited to what lies below the acting
// identity: its data scope decides which units, and it can grant no permission it
// does not hold.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/account-permissions.hpp"
#include "workflows/account-users.hpp"

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

long long query_int(const Request& req, const char* name, long long fallback, long long lo, long long hi) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return fallback;
    if (v->size() > 12 || v->find_first_not_of("0123456789") != std::string::npos)
        throw bad_request("bad_query", std::string("参数格式不正确：") + name, name);
    long long n = std::stoll(*v);
    if (n < lo || n > hi) throw bad_request("bad_query", std::string("参数超出范围：") + name, name);
    return n;
}

accounts::Page page_of(const Request& req) {
    return {query_int(req, "page", 1, 1, 1000000), query_int(req, "page_size", 20, 1, 200)};
}

}  // namespace

void register_account_routes(Router& router, App& app) {
    router.add({"GET", "/api/permissions", "authenticated", "全部权限名称与中文说明、数据范围", "系统管理",
                [](const Request&) {
                    nlohmann::json list = nlohmann::json::array();
                    for (const auto& p : accounts::permission_catalogue())
                        list.push_back({{"name", p.name}, {"label", p.label}, {"group", p.group}});
                    nlohmann::json scopes = nlohmann::json::array();
                    const char* labels[] = {"全部", "本区县", "本单位及下级", "本单位", "仅本人"};
                    for (size_t i = 0; i < accounts::data_scopes().size(); ++i)
                        scopes.push_back({{"name", accounts::data_scopes()[i]}, {"label", labels[i]}});
                    return Response::json(200, {{"items", list}, {"data_scopes", scopes}});
                }});

    router.add({"GET", "/api/users", "system.users", "用户列表（关键字、单位、状态筛选，仅限管理范围内）", "系统管理",
                [&app](const Request& req) {
                    accounts::UserFilter f;
                    f.keyword = req.query_value("q").value_or("");
                    f.unit_id = query_int(req, "unit_id", 0, 0, 1LL << 62);
                    f.role_id = query_int(req, "role_id", 0, 0, 1LL << 62);
                    if (auto a = req.query_value("active"); a && !a->empty()) {
                        if (*a != "true" && *a != "false") throw bad_request("bad_query", "active 只能是 true 或 false", "active");
                        f.active = *a == "true";
                    }
                    return Response::json(200, accounts::list_users(app.pool, admin_of(req), f, page_of(req)));
                },
                {"q", "unit_id", "role_id", "active", "page", "page_size"}});

    router.add({"GET", "/api/users/{id}", "system.users", "用户详情（含身份）", "系统管理", [&app](const Request& req) {
                    return Response::json(200, accounts::get_user(app.pool, admin_of(req), id_param(req)));
                }});

    router.add({"POST", "/api/users", "system.users", "新增用户（初始密码首次登录须修改）", "系统管理",
                [&app](const Request& req) {
                    return Response::json(201, accounts::create_user(app.pool, admin_of(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/users/{id}", "system.users", "修改用户信息、启用/停用、执法证号", "系统管理",
                [&app](const Request& req) {
                    return Response::json(200, accounts::update_user(app.pool, admin_of(req), id_param(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/users/{id}/identities", "system.users", "设置用户的单位身份与角色", "系统管理",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    auto it = body.find("identities");
                    if (it == body.end() || !it->is_array()) throw bad_request("missing_field", "缺少字段 identities", "identities");
                    return Response::json(200, accounts::set_identities(app.pool, admin_of(req), id_param(req), *it));
                },
                {}, "application/json"});

    router.add({"POST", "/api/users/{id}/reset-password", "system.users", "重置密码（须在下次登录时修改）", "系统管理",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    auto it = body.find("password");
                    if (it == body.end() || !it->is_string()) throw bad_request("missing_field", "缺少字段 password", "password");
                    accounts::reset_password(app.pool, admin_of(req), id_param(req), it->get<std::string>());
                    return Response::no_content();
                },
                {}, "application/json"});

    router.add({"GET", "/api/roles", "system.users", "角色列表（关键字）", "系统管理",
                [&app](const Request& req) {
                    return Response::json(200, accounts::list_roles(app.pool, req.query_value("q").value_or("")));
                },
                {"q"}});

    router.add({"POST", "/api/roles", "system.roles", "新增角色", "系统管理", [&app](const Request& req) {
                    return Response::json(201, accounts::save_role(app.pool, 0, req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/roles/{id}", "system.roles", "修改角色名称、权限与数据范围", "系统管理",
                [&app](const Request& req) {
                    return Response::json(200, accounts::save_role(app.pool, id_param(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"DELETE", "/api/roles/{id}", "system.roles", "删除未被使用的自定义角色", "系统管理",
                [&app](const Request& req) {
                    accounts::delete_role(app.pool, id_param(req));
                    return Response::no_content();
                }});

    router.add({"GET", "/api/roles/{id}/members", "system.roles", "角色成员", "系统管理", [&app](const Request& req) {
                    return Response::json(200, accounts::role_members(app.pool, id_param(req)));
                }});

    router.add({"GET", "/api/org-tree", "system.org", "组织机构树：市 → 区县 → 单位 → 科室，含人数", "系统管理",
                [&app](const Request& req) { return Response::json(200, accounts::org_tree(app.pool, admin_of(req))); }});

    router.add({"GET", "/api/login-log", "system.loginlog", "登录日志（账号、结果、时间段筛选）", "系统管理",
                [&app](const Request& req) {
                    accounts::LoginLogFilter f;
                    f.account = req.query_value("account").value_or("");
                    f.address = req.query_value("address").value_or("");
                    if (auto s = req.query_value("success"); s && !s->empty()) {
                        if (*s != "true" && *s != "false") throw bad_request("bad_query", "success 只能是 true 或 false", "success");
                        f.success = *s == "true";
                    }
                    f.from = req.query_value("from").value_or("");
                    f.to = req.query_value("to").value_or("");
                    return Response::json(200, accounts::login_log(app.pool, admin_of(req), f, page_of(req)));
                },
                {"account", "address", "success", "from", "to", "page", "page_size"}});
}

}  // namespace twindraw::server
