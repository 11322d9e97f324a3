// The draw of a task over HTTP (issue 4 "The flow" step 4; DRAW-1, TASK-1, WORK-3):
// GET the task's draw state, POST a preview or a run made from the task's draw_params.
// The confirmation is the draw's own (POST /api/draws/{id}/confirm), which records
// the draw on the task.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/task-draw.hpp"

namespace twindraw::server {

namespace {

flow::FlowActor task_actor(const Request& req) {
    const Principal& p = *req.principal;
    return {p.user_id, p.unit_id, p.data_scope, p.permissions};
}

long long task_id_param(const Request& req) {
    const std::string& v = req.params.at("id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos || v[0] == '0')
        throw bad_request("bad_id", "编号格式不正确", "id");
    return std::stoll(v);
}

}  // namespace

void register_task_draw_routes(Router& router, App& app) {
    const std::string tag = "随机抽取";
    router.add({"GET", "/api/tasks/{id}/draw", "task.read",
                "任务的随机抽取：能否抽取（不能时说明原因与状态）、已确认的抽取记录与全部抽取", tag,
                [&app](const Request& req) {
                    return Response::json(200, taskdraw::status(app.pool, task_actor(req), task_id_param(req)));
                }});
    router.add({"POST", "/api/tasks/{id}/draw/preview", "draw.run",
                "按任务的抽取参数预览候选总体（任务须审核通过且本单位已接收）", tag, [&app](const Request& req) {
                    return Response::json(200, taskdraw::preview(app.pool, task_actor(req), task_id_param(req)));
                }});
    router.add({"POST", "/api/tasks/{id}/draw", "draw.run",
                "按任务的抽取参数执行抽取（结果待确认；任务已有确认的抽取时拒绝）", tag, [&app](const Request& req) {
                    return Response::json(201, taskdraw::run(app.pool, task_actor(req), task_id_param(req)));
                }});
}

}  // namespace twindraw::server
