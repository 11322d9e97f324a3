// Inspection tasks (TASK-1..7) and their receiving by the executing units (WORK-3):
// made from a distributed plan, single-department or joint, with the draw parameters
// stored on the task; submitted for review, approved with an opinion or returned with
// a reason, urged; each executing department's assigner then receives it. One
// transaction per command; transitions from flow-states.hpp; flow history appended.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::flow {

struct TaskFilter {
    std::optional<long long> plan_id;
    std::optional<long long> year;  // of the plan
    std::string state;              // created | submitted | returned | approved | ""
    std::string task_type;          // single | joint | ""
    std::string q;                  // keyword in the name
    long long page = 1, page_size = 20;
};

/// Throws Error(BadRequest) naming the field.
void validate(const TaskFilter& f);

/// {items, total}: tasks initiated by the actor's units, or (once approved) executed
/// by them; newest first, each with "actions" the actor may take now.
nlohmann::json list_tasks(pg::Pool& pool, const FlowActor& actor, const TaskFilter& f);

/// The task list of f (paging ignored, at most limit rows) as .xlsx bytes (TASK-4).
std::string export_tasks_xlsx(pg::Pool& pool, const FlowActor& actor, const TaskFilter& f, long long limit);

/// One task: plan summary, executing units with their receiving state, counts, days
/// left, draw parameters and flow history (TASK-2). Error(NotFound) when not visible.
nlohmann::json get_task(pg::Pool& pool, const FlowActor& actor, long long id);
/// Whether the actor sees task id (the rule of get_task).
bool task_visible(pqxx::transaction_base& tx, const FlowActor& actor, long long id);

/// Body: plan_id (a distributed plan the initiating unit may use), name, task_type
/// (single|joint), initiating_authority_id (default: the actor's unit),
/// cooperating_authority_ids (joint), executing_unit_ids (further executing units),
/// item_ids, start_date, end_date (inside the plan's window), description,
/// draw_params (docs/workflow.md). 422 with errors[]; 409 when the plan is not
/// distributed.
nlohmann::json create_task(pg::Pool& pool, const FlowActor& actor, const nlohmann::json& body);

/// Given fields replace the task's; only while created or returned (409 otherwise).
nlohmann::json update_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// Only while created or returned.
void delete_task(pg::Pool& pool, const FlowActor& actor, long long id);

/// created|returned → submitted; the draw parameters must be complete (422).
nlohmann::json submit_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// submitted → approved (opinion optional) or → returned (opinion = reason, required).
nlohmann::json review_task(pg::Pool& pool, const FlowActor& actor, long long id, bool approve,
                           const nlohmann::json& body);

/// approved: records an urge (催办) with its message.
nlohmann::json urge_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// The actor's unit (or body.unit_id, inside its scope) receives the approved task.
nlohmann::json receive_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// {items, total}: the executing-unit rows of approved tasks whose unit lies in the
/// actor's scope (我的任务 / 待接收), filter state waiting|received|"".
nlohmann::json list_works(pg::Pool& pool, const FlowActor& actor, const std::string& state, long long page,
                          long long page_size, const std::string& q = "");

}  // namespace twindraw::flow
