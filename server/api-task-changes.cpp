// The appeals and approved changes of a task and of a work over HTTP (JOB-5, WORK-9,
// DRAW-6, DRAW-9, WORK-6): read-only sections of the task and work detail pages.
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/task-changes.hpp"

namespace twindraw::server {

void register_task_change_routes(Router& router, App& app) {
    router.add({"GET", "/api/tasks/{id}/appeals-changes", "task.read", "抽查任务的申诉与变更（执法人员变更、名单变更）",
                "抽查任务", [&app](const Request& req) {
                    return Response::json(
                        200, taskchanges::for_task(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"GET", "/api/works/{task}/{unit}/appeals-changes", "task.read",
                "一项抽查工作的申诉与变更（执法人员变更、名单变更）", "抽查工作", [&app](const Request& req) {
                    return Response::json(
                        200, taskchanges::for_work(app.pool, params::flow_actor(req), params::path_id(req, "task"),
                                                   params::path_id(req, "unit")));
                }});
}

}  // namespace twindraw::server
