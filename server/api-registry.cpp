// The one list and two libraries over HTTP (BASE-1..4): metadata for the forms,
// list/detail/create/update/delete for every registry entity, counts for the home page.
#include "server/app.hpp"
#include "workflows/account-org.hpp"
#include "workflows/registry-repo.hpp"

#include <regex>

namespace twindraw::server {

namespace {

const registry::Entity& entity_of(const Request& req) {
    const auto* e = registry::find_entity(req.params.at("entity"));
    if (!e) throw not_found("没有这类数据：" + req.params.at("entity").substr(0, 60));
    return *e;
}

long long int_param(const Request& req, const std::string& name, long long fallback) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return fallback;
    if (!std::regex_match(*v, std::regex("^[0-9]{1,9}$"))) throw bad_request("bad_" + name, "参数 " + name + " 应为正整数", name);
    return std::stoll(*v);
}

// Units and sections are the organisation: written through the organisation rules
// (workflows/account-org.cpp: tiers, scope, moving a unit only by a system
// administrator), whichever route a client takes (issue 12, SYS-1, SYS-8).
accounts::AdminScope admin_of(const Request& req) {
    const Principal& p = *req.principal;
    return {p.user_id, p.unit_id, p.data_scope, p.permissions};
}

long long org_id(const Request& req) {
    const std::string& v = req.params.at("id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        throw not_found("记录不存在");
    return std::stoll(v);
}

}  // namespace

registry::ListQuery list_query(const Request& req) {
    registry::ListQuery q;
    q.page = int_param(req, "page", 1);
    q.page_size = int_param(req, "page_size", 20);
    q.sort = req.query_value("sort").value_or("");
    std::string order = req.query_value("order").value_or("asc");
    if (order != "asc" && order != "desc") throw bad_request("bad_order", "排序方向应为 asc 或 desc", "order");
    q.desc = order == "desc";
    q.q = req.query_value("q").value_or("");
    for (const auto& [k, v] : req.query)
        if (k != "page" && k != "page_size" && k != "sort" && k != "order" && k != "q" && !v.empty()) q.filters[k] = v;
    return q;
}

nlohmann::json entity_meta(const registry::Entity& e) {
    static const char* type_names[] = {"text", "code", "int", "decimal", "bool", "date", "text_array", "id_array", "point"};
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : e.fields) {
        nlohmann::json choices = nlohmann::json::array();
        for (const auto& c : f.choices) choices.push_back({{"value", c.value}, {"label", c.label}});
        nlohmann::json jf = {{"name", f.name},
                             {"label", f.label},
                             {"type", type_names[static_cast<int>(f.type)]},
                             {"required", f.required},
                             {"readonly", f.readonly},
                             {"searchable", f.searchable},
                             {"filterable", f.filterable},
                             {"sortable", f.sortable},
                             {"in_list", f.in_list},
                             {"choices", choices}};
        if (f.max_len) jf["max_len"] = f.max_len;
        if (!f.pattern.empty()) jf["pattern"] = f.pattern;
        if (!f.ref.empty()) jf["ref"] = f.ref;
        fields.push_back(jf);
    }
    return {{"name", e.name},       {"label", e.label},   {"key", e.key}, {"key_generated", e.key_generated},
            {"display", e.display}, {"fields", fields}};
}

void register_registry_routes(Router& router, App& app) {
    router.add({"GET", "/api/meta/entities", "registry.read", "基础信息各类数据的字段说明（供表单使用）", "基础信息",
                [](const Request&) {
                    nlohmann::json list = nlohmann::json::array();
                    for (const auto& e : registry::entities()) list.push_back(entity_meta(e));
                    return Response::json(200, {{"entities", list}});
                }});

    router.add({"GET", "/api/stats/registry", "registry.read", "一单两库数量统计", "基础信息",
                [&app](const Request&) { return Response::json(200, registry::counts(app.pool)); }});

    router.add({"GET", "/api/{entity}", "registry.read", "分页查询", "基础信息",
                [&app](const Request& req) {
                    const auto& e = entity_of(req);
                    auto q = list_query(req);
                    auto result = registry::list(app.pool, e, q);
                    return Response::json(200, {{"items", result.items},
                                                {"total", result.total},
                                                {"page", q.page},
                                                {"page_size", q.page_size}});
                },
                {"page", "page_size", "sort", "order", "q"}});

    router.add({"GET", "/api/{entity}/{id}", "registry.read", "查看详情", "基础信息", [&app](const Request& req) {
                    return Response::json(200, registry::get(app.pool, entity_of(req), req.params.at("id")));
                }});

    router.add({"POST", "/api/{entity}", "registry.write", "新增", "基础信息",
                [&app](const Request& req) {
                    const auto& e = entity_of(req);
                    if (e.name == "authorities")
                        return Response::json(201, accounts::create_unit(app.pool, admin_of(req), req.json_body()));
                    if (e.name == "sections")
                        return Response::json(201, accounts::create_section(app.pool, admin_of(req), req.json_body()));
                    return Response::json(201, registry::create(app.pool, e, req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/{entity}/{id}", "registry.write", "修改（只改请求中给出的字段）", "基础信息",
                [&app](const Request& req) {
                    const auto& e = entity_of(req);
                    if (e.name == "authorities")
                        return Response::json(200, accounts::update_unit(app.pool, admin_of(req), org_id(req), req.json_body()));
                    if (e.name == "sections")
                        return Response::json(200,
                                              accounts::update_section(app.pool, admin_of(req), org_id(req), req.json_body()));
                    return Response::json(200, registry::update(app.pool, e, req.params.at("id"), req.json_body()));
                },
                {}, "application/json"});

    router.add({"DELETE", "/api/{entity}/{id}", "registry.write", "删除", "基础信息", [&app](const Request& req) {
                    const auto& e = entity_of(req);
                    if (e.name == "authorities")
                        accounts::delete_unit(app.pool, admin_of(req), org_id(req));
                    else if (e.name == "sections")
                        accounts::delete_section(app.pool, admin_of(req), org_id(req));
                    else
                        registry::remove(app.pool, e, req.params.at("id"));
                    return Response::no_content();
                }});
}

}  // namespace twindraw::server
