#include "workflows/task-changes.hpp"

#include "geo/error.hpp"
#include "workflows/appeals.hpp"
#include "workflows/draw-changes.hpp"
#include "workflows/flow-tasks.hpp"

namespace twindraw::taskchanges {

using nlohmann::json;

json for_task(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    return pg::with_read(pool, "task-appeals-changes", [&](pqxx::read_transaction& tx) {
        if (!flow::task_visible(tx, actor, task_id)) throw not_found("抽查任务不存在");
        const pg::Params p = pg::Params().add(task_id);
        return json{{"task_id", task_id},
                    {"appeals", appeals::rows_where(tx, actor, "j.task_id = $1::bigint", p)},
                    {"changes", drawchange::rows_where(tx, actor, "d.task_id = $1::bigint", p)}};
    });
}

json for_work(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id) {
    return pg::with_read(pool, "work-appeals-changes", [&](pqxx::read_transaction& tx) {
        if (!flow::in_scope(tx, actor, unit_id) ||
            pg::exec(tx,
                     "SELECT 1 FROM task_unit u JOIN inspection_task t ON t.id = u.task_id"
                     " WHERE u.task_id = $1::bigint AND u.authority_id = $2::bigint AND t.state = 'approved'",
                     pg::Params().add(task_id).add(unit_id))
                .empty())
            throw not_found("抽查工作不存在");
        const pg::Params p = pg::Params().add(task_id).add(unit_id);
        return json{
            {"task_id", task_id},
            {"unit_id", unit_id},
            {"appeals", appeals::rows_where(tx, actor, "a.job_id IN (SELECT work_job_ids($1::bigint, $2::bigint))", p)},
            {"changes",
             drawchange::rows_where(
                 tx, actor,
                 "d.task_id = $1::bigint AND (c.unit_id IN (SELECT id FROM scope_units($2::bigint, 'unit_tree'))"
                 " OR EXISTS (SELECT 1 FROM inspection_job x WHERE x.draw_id = c.draw_id AND x.group_no = c.group_no"
                 "  AND x.id IN (SELECT work_job_ids($1::bigint, $2::bigint))))",
                 p)}};
    });
}

}  // namespace twindraw::taskchanges
