// The department's work (部门工作, WORK-1, WORK-2, WORK-4, WORK-5): an approved task as
// one executing unit carries it out. Its jobs are the task's jobs drawn by the unit or
// carried out by its inspectors (SQL work_job_ids, 0023); progress, inspectors, objects
// and results come from them. Reads run under the actor's row-level data scope; the urge
// is one transaction with its flow-history row and its notifications.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::works {

/// The counts of the actor's desk (WORK-1): ongoing works (received, task approved),
/// works waiting to be received, the actor's own unfinished jobs (inspector todos) and
/// results waiting for review in scope (department todos).
nlohmann::json summary(pg::Pool& pool, const flow::FlowActor& actor);

/// One work (WORK-2): task, plan, unit and its receiving, progress (jobs by state,
/// objects not yet inspected, percent done, days left), inspectors with their jobs,
/// the jobs (objects) with state and result, results per category, flow history.
/// Error(NotFound) when the task is not visible or the unit does not execute it.
nlohmann::json detail(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id);

/// The work as .xlsx (WORK-4): sheets 基本信息, 执法人员, 检查对象, 检查结果.
std::string export_xlsx(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id);

/// Urges the inspectors of the work with unfinished jobs (WORK-5): 409 when the work
/// is not received (state) or nothing is left to do; body {opinion} optional.
nlohmann::json urge(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id,
                    const nlohmann::json& body);

}  // namespace twindraw::works
