// The appeals and the approved changes (执法人员变更, 名单变更) of one task and of one
// work (task × executing unit), for the task and work detail pages (JOB-5, WORK-9,
// DRAW-6, DRAW-9, WORK-6, TASK-2). They are the rows the job page (appeals) and the draw
// page (changes) show, gathered over the task's jobs and draws; see
// docs/appeals-changes.md "On the task and work pages".
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

namespace twindraw::taskchanges {

/// {task_id, appeals:[...], changes:[...]} of a task the actor sees (else 404): the
/// appeals of its jobs under the row-level security of result_appeal and inspection_job,
/// newest first; the change requests of its draws (every state, read like the draw
/// page), oldest first.
nlohmann::json for_task(pg::Pool& pool, const flow::FlowActor& actor, long long task_id);

/// {task_id, unit_id, appeals, changes} of a work (the unit executes the approved task
/// and lies in the actor's scope, else 404): the appeals of the work's jobs
/// (work_job_ids), and the changes of the task's draws that concern the work — drawn by
/// the unit or its sub-units, or of a group that has a job of the work.
nlohmann::json for_work(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id);

}  // namespace twindraw::taskchanges
