// The department's work over HTTP (WORK-1, WORK-2, WORK-4, WORK-5): the desk counts, one
// work (task × executing unit) with progress, inspectors, objects and results, its
// export, and its urge. The list itself is GET /api/works (api-flow.cpp).
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/works.hpp"

namespace twindraw::server {

void register_work_routes(Router& router, App& app) {
    const std::string tag = "抽查工作";
    router.add({"GET", "/api/works/summary", "task.read", "我的待办：进行中的工作、待接收、我的未完成作业、待审核结果",
                tag, [&app](const Request& req) {
                    return Response::json(200, works::summary(app.pool, params::flow_actor(req)));
                }});
    router.add(
        {"GET", "/api/works/{task}/{unit}", "task.read",
         "一项抽查工作（任务×执行单位）：进度、执法人员、检查对象、结果与流转记录", tag, [&app](const Request& req) {
             return Response::json(200, works::detail(app.pool, params::flow_actor(req), params::path_id(req, "task"),
                                                      params::path_id(req, "unit")));
         }});
    router.add({"GET", "/api/works/{task}/{unit}/export.xlsx", "task.read",
                "导出一项抽查工作（基本信息、执法人员、检查对象、检查结果）", tag, [&app](const Request& req) {
                    return Response::download(
                        works::export_xlsx(app.pool, params::flow_actor(req), params::path_id(req, "task"),
                                           params::path_id(req, "unit")),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "抽查工作.xlsx");
                }});
    router.add({"POST",
                "/api/works/{task}/{unit}/urge",
                "work.receive",
                "催办本单位尚未完成检查作业的执法人员",
                tag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          works::urge(app.pool, params::flow_actor(req), params::path_id(req, "task"),
                                                      params::path_id(req, "unit"),
                                                      req.body.empty() ? nlohmann::json::object() : req.json_body()));
                },
                {},
                "application/json"});
}

}  // namespace twindraw::server
