// The draw of an inspection task (issue 4 "The flow" step 4; DRAW-1, TASK-1, WORK-3):
// once the task is approved and an executing unit in the actor's scope has received
// it, the task's draw_params (docs/workflow.md) become the draw request
// (docs/draw-algorithm.md) with task_id set; the confirmation of that draw is recorded
// on the task (draw_id, flow history) and announced to the executing units. See
// docs/task-draw.md.
#pragma once

#include "geo/error.hpp"
#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace twindraw::taskdraw {

/// The draw request body of the task's draw_params: pure, no database. task carries
/// id, name, task_type, initiating_authority_id, cooperating_authority_ids, item_ids,
/// draw_params. Strata with an open risk or credit level are expanded to the cells
/// not taken by an earlier stratum (first match wins); a count over more than one
/// cell cannot be drawn exactly and is 422 draw_params_not_drawable.
nlohmann::json request_from_params(const nlohmann::json& task);

/// Why the actor may not draw from the task now, or null: a 409 Error with state.
/// task is flow::get_task's answer (units with their receiving state).
std::optional<Error> refusal(pqxx::transaction_base& tx, const flow::FlowActor& actor, const nlohmann::json& task);

/// POST /api/tasks/{id}/draw/preview: {request, preview}.
nlohmann::json preview(pg::Pool& pool, const flow::FlowActor& actor, long long task_id);

/// POST /api/tasks/{id}/draw: runs the draw (a draft) → 201 draw::run's answer.
nlohmann::json run(pg::Pool& pool, const flow::FlowActor& actor, long long task_id);

/// GET /api/tasks/{id}/draw: {task_id, task_state, allowed, refusal{code,message,state},
/// draw_id (the confirmed one), draws:[{id, title, status, created_at, confirmed_at}],
/// public_path}.
nlohmann::json status(pg::Pool& pool, const flow::FlowActor& actor, long long task_id);

/// Called by draw::confirm in its transaction after the draw became confirmed: when
/// the draw names a task, the task records it (409 task_already_drawn when it has one)
/// with a flow-history row, and the executing units get a message.
void on_draw_confirmed(pqxx::work& tx, long long draw_id);

}  // namespace twindraw::taskdraw
