// Who acts in the plan and task workflow, and the flow history (流转记录) every
// transition appends: who, when, from which state to which, with what opinion
// (TASK-3, AUDIT-2/3). The history lives in table flow_history (0008_plans_tasks.sql).
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace twindraw::flow {

/// The acting identity: user, unit, its data scope and permissions (from the session).
struct FlowActor {
    long long user_id = 0;
    long long unit_id = 0;
    std::string scope;  // all | district | unit_tree | unit | self
    std::vector<std::string> permissions;
    bool has(const std::string& p) const;
};

/// The ids of the units the actor's data scope covers (scope_units() in SQL), as a
/// PostgreSQL array literal for a $n::bigint[] parameter; "" for scope "all".
std::string scope_array(pqxx::transaction_base& tx, const FlowActor& actor);

/// Whether unit lies in the actor's scope.
bool in_scope(pqxx::transaction_base& tx, const FlowActor& actor, long long unit);

/// Appends one history row in tx. entity: "plan", "task", "task_unit"; unit: the
/// unit acting (the actor's, or the receiving unit).
void record(pqxx::transaction_base& tx, const std::string& entity, long long entity_id, const std::string& action,
            const std::string& from, const std::string& to, const std::string& opinion, const FlowActor& actor,
            long long unit);

/// How a workflow names its actions and states in the history (Chinese labels), given
/// the row's entity; a state label may be null.
struct HistoryLabels {
    std::function<std::string(const std::string& entity, const std::string& action)> action;
    std::function<nlohmann::json(const std::string& entity, const std::string& state)> state;
};

/// The flow_history rows of the entities (oldest first), for every workflow that keeps
/// its history there: id, entity, entity_id, action, action_label, from_state, to_state,
/// from_label, to_label, opinion, user_id, user_name, unit_id, unit_name, at (China time).
/// User names come from app_user_name (readable under every data scope).
nlohmann::json history_of(pqxx::transaction_base& tx, const std::vector<std::string>& entities, long long entity_id,
                          const HistoryLabels& labels);

/// The plan and task history (entities "plan", "task", "task_unit") with their labels.
nlohmann::json history(pqxx::transaction_base& tx, const std::vector<std::string>& entities, long long entity_id);

/// Number of UTF-8 characters of s (for length limits stated in characters).
size_t utf8_length(const std::string& s);

}  // namespace twindraw::flow
