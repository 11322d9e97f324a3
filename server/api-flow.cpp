// Annual plans, inspection tasks and their receiving over HTTP (PLAN-1..3, TASK-1..7,
// WORK-3). Each route declares its permission; the workflow functions check the
// actor's data scope and the state machine (409 with the current state).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/flow-plans.hpp"
#include "workflows/flow-tasks.hpp"

namespace twindraw::server {

namespace {

constexpr long long kTaskExportLimit = 20000;

std::optional<long long> query_int(const Request& req, const char* name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (v->size() > 12 || v->find_first_not_of("0123456789") != std::string::npos)
        throw bad_request(std::string("bad_") + name, std::string("参数 ") + name + " 应为正整数", name);
    return std::stoll(*v);
}

flow::PlanFilter plan_filter(const Request& req) {
    flow::PlanFilter f;
    f.year = query_int(req, "year");
    f.state = req.query_value("state").value_or("");
    f.plan_type = req.query_value("plan_type").value_or("");
    f.q = req.query_value("q").value_or("");
    f.selectable = req.query_value("selectable").value_or("") == "1";
    f.page = query_int(req, "page").value_or(1);
    f.page_size = query_int(req, "page_size").value_or(20);
    flow::validate(f);
    return f;
}

flow::TaskFilter task_filter(const Request& req) {
    flow::TaskFilter f;
    f.plan_id = query_int(req, "plan_id");
    f.year = query_int(req, "year");
    f.state = req.query_value("state").value_or("");
    f.task_type = req.query_value("task_type").value_or("");
    f.q = req.query_value("q").value_or("");
    f.page = query_int(req, "page").value_or(1);
    f.page_size = query_int(req, "page_size").value_or(20);
    flow::validate(f);
    return f;
}

}  // namespace

void register_flow_routes(Router& router, App& app) {
    const std::string plans = "年度计划", tasks = "抽查任务", works = "抽查工作";
    const std::vector<std::string> plan_q = {"year", "state", "plan_type", "q", "selectable", "page", "page_size"};
    const std::vector<std::string> task_q = {"plan_id", "year", "state", "task_type", "q", "page", "page_size"};
    const std::string json = "application/json";

    // --- annual plans (PLAN-1..3) ---
    router.add({"GET", "/api/plans", "plan.read",
                "年度计划列表（按年度、状态、类型、关键字；selectable=1 仅可用于制定任务的计划）", plans,
                [&app](const Request& req) {
                    return Response::json(200, flow::list_plans(app.pool, params::flow_actor(req), plan_filter(req)));
                },
                plan_q});
    router.add({"POST",
                "/api/plans",
                "plan.create",
                "新增年度计划（表 D.1）",
                plans,
                [&app](const Request& req) {
                    return Response::json(201, flow::create_plan(app.pool, params::flow_actor(req), req.json_body()));
                },
                {},
                json});
    router.add(
        {"GET", "/api/plans/{id}", "plan.read", "年度计划详情（含任务与流转记录）", plans, [&app](const Request& req) {
             return Response::json(200, flow::get_plan(app.pool, params::flow_actor(req), params::path_id(req)));
         }});
    router.add({"PUT",
                "/api/plans/{id}",
                "plan.create",
                "编辑未分发的年度计划",
                plans,
                [&app](const Request& req) {
                    return Response::json(200, flow::update_plan(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), req.json_body()));
                },
                {},
                json});
    router.add({"DELETE", "/api/plans/{id}", "plan.create", "删除未分发的年度计划", plans, [&app](const Request& req) {
                    flow::delete_plan(app.pool, params::flow_actor(req), params::path_id(req));
                    return Response::no_content();
                }});
    router.add({"POST",
                "/api/plans/{id}/distribute",
                "plan.distribute",
                "分发年度计划（联合计划同时向社会公示）",
                plans,
                [&app](const Request& req) {
                    return Response::json(200, flow::distribute_plan(app.pool, params::flow_actor(req),
                                                                     params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/plans/{id}/recall",
                "plan.distribute",
                "回收已分发的年度计划",
                plans,
                [&app](const Request& req) {
                    return Response::json(200, flow::recall_plan(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"GET",
                "/api/public/plans",
                "public",
                "向社会公示的联合抽查年度计划（无需登录）",
                "公示",
                [&app](const Request& req) {
                    return Response::json(200, flow::public_plans(app.pool, query_int(req, "year")));
                },
                {"year"}});

    // --- inspection tasks (TASK-1..7) ---
    router.add({"GET", "/api/tasks", "task.read", "抽查任务列表（按计划、年度、状态、类型、关键字）", tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::list_tasks(app.pool, params::flow_actor(req), task_filter(req)));
                },
                task_q});
    router.add({"GET", "/api/tasks/export.xlsx", "task.read", "按当前筛选条件导出抽查任务（Excel）", tasks,
                [&app](const Request& req) {
                    return Response::download(
                        flow::export_tasks_xlsx(app.pool, params::flow_actor(req), task_filter(req), kTaskExportLimit),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "抽查任务.xlsx");
                },
                task_q});
    router.add({"POST",
                "/api/tasks",
                "task.create",
                "从已分发的年度计划新增抽查任务（单部门或联合）",
                tasks,
                [&app](const Request& req) {
                    return Response::json(201, flow::create_task(app.pool, params::flow_actor(req), req.json_body()));
                },
                {},
                json});
    router.add({"GET", "/api/tasks/{id}", "task.read", "抽查任务详情（执行单位进度、抽取参数、流转记录）", tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::get_task(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"PUT",
                "/api/tasks/{id}",
                "task.create",
                "编辑已创建或已退回的抽查任务",
                tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::update_task(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), req.json_body()));
                },
                {},
                json});
    router.add(
        {"DELETE", "/api/tasks/{id}", "task.create", "删除已创建或已退回的抽查任务", tasks, [&app](const Request& req) {
             flow::delete_task(app.pool, params::flow_actor(req), params::path_id(req));
             return Response::no_content();
         }});
    router.add({"POST",
                "/api/tasks/{id}/submit",
                "task.create",
                "提交抽查任务给本部门审核员审核",
                tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::submit_task(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/tasks/{id}/approve",
                "task.review",
                "审核通过抽查任务（填写审核意见）",
                tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::review_task(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), true, params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/tasks/{id}/return",
                "task.review",
                "退回抽查任务（填写退回原因）",
                tasks,
                [&app](const Request& req) {
                    return Response::json(
                        200, flow::review_task(app.pool, params::flow_actor(req), params::path_id(req), false,
                                               params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/tasks/{id}/urge",
                "task.review",
                "催办审核通过的抽查任务",
                tasks,
                [&app](const Request& req) {
                    return Response::json(200, flow::urge_task(app.pool, params::flow_actor(req), params::path_id(req),
                                                               params::body_object(req)));
                },
                {},
                json});

    // --- receiving (WORK-3) ---
    router.add({"POST",
                "/api/tasks/{id}/receive",
                "work.receive",
                "执行部门接收审核通过的抽查任务",
                works,
                [&app](const Request& req) {
                    return Response::json(200, flow::receive_task(app.pool, params::flow_actor(req),
                                                                  params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"GET",
                "/api/works",
                "task.read",
                "本部门的抽查工作（待接收、已接收）",
                works,
                [&app](const Request& req) {
                    return Response::json(
                        200,
                        flow::list_works(app.pool, params::flow_actor(req), req.query_value("state").value_or(""),
                                         query_int(req, "page").value_or(1), query_int(req, "page_size").value_or(20),
                                         req.query_value("q").value_or("")));
                },
                {"state", "q", "page", "page_size"}});
}

}  // namespace twindraw::server
