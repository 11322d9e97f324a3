// The audit trail over HTTP (AUDIT-1): search, one row with before/after, Excel export.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/audit-query.hpp"

#include <regex>

namespace twindraw::server {

namespace {

constexpr long long kAuditExportLimit = 100000;

std::optional<long long> id_param(const Request& req, const std::string& name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (!std::regex_match(*v, std::regex("^[0-9]{1,18}$")))
        throw bad_request("bad_" + name, "参数 " + name + " 应为正整数", name);
    return std::stoll(*v);
}

audit::Query audit_query(const Request& req) {
    audit::Query q;
    q.page = id_param(req, "page").value_or(1);
    q.page_size = id_param(req, "page_size").value_or(20);
    q.user_id = id_param(req, "user_id");
    q.entity = req.query_value("entity").value_or("");
    q.entity_id = req.query_value("entity_id").value_or("");
    q.action = req.query_value("action").value_or("");
    q.from = req.query_value("from").value_or("");
    q.to = req.query_value("to").value_or("");
    audit::validate(q);
    return q;
}

const std::vector<std::string> kFilters = {"user_id", "entity", "entity_id", "action", "from", "to"};

}  // namespace

void register_audit_routes(Router& router, App& app) {
    auto with_paging = kFilters;
    with_paging.insert(with_paging.begin(), {"page", "page_size"});

    router.add({"GET", "/api/audit", "audit.read", "审计日志查询（按人员、对象、操作、日期）", "审计",
                [&app](const Request& req) {
                    auto q = audit_query(req);
                    auto page = audit::list(app.pool, q);
                    return Response::json(200, {{"items", page.items},
                                                {"total", page.total},
                                                {"page", q.page},
                                                {"page_size", q.page_size}});
                },
                with_paging});

    router.add({"GET", "/api/audit/entities", "audit.read", "被审计的数据类型及其中文名称", "审计",
                [](const Request&) { return Response::json(200, {{"entities", audit::entity_labels()}}); }});

    router.add({"GET", "/api/audit/export.xlsx", "audit.read", "按当前筛选条件导出审计日志（Excel）", "审计",
                [&app](const Request& req) {
                    return Response::download(audit::export_xlsx(app.pool, audit_query(req), kAuditExportLimit),
                                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                              "审计日志.xlsx");
                },
                kFilters});

    router.add({"GET", "/api/audit/{id}", "audit.read", "审计记录详情（变更前后内容与哈希）", "审计",
                [&app](const Request& req) {
                    const auto& id = req.params.at("id");
                    if (!std::regex_match(id, std::regex("^[0-9]{1,18}$")))
                        throw bad_request("bad_id", "编号格式不正确", "id");
                    return Response::json(200, audit::get(app.pool, std::stoll(id)));
                }});
}

}  // namespace twindraw::server
