// The state machines of annual plans, inspection tasks and the receiving of a task by
// an executing unit (PLAN-2, TASK-1, TASK-5..7, WORK-3): one table per machine of
// (action, from, to, permission). Every command looks its transition up here; one not
// in the table is a 409 carrying the current state. Pure data, no database.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace twindraw::flow {

struct Transition {
    std::string action;      // "distribute"
    std::string from;        // "draft"
    std::string to;          // "distributed" (same as from for edit/urge; "" for delete)
    std::string permission;  // "plan.distribute"
};

enum class Machine { Plan, Task, TaskUnit };

/// The machine's table.
const std::vector<Transition>& transitions(Machine m);

/// The transition for action from state, or nullptr when it is not allowed.
const Transition* find_transition(Machine m, const std::string& action, const std::string& from);

/// Every action of the machine (for validation of an action name).
bool is_action(Machine m, const std::string& action);

/// The actions allowed from state whose permission is in permissions, in table order.
std::vector<std::string> allowed_actions(Machine m, const std::string& state,
                                         const std::vector<std::string>& permissions);

/// Chinese label of a state ("distributed" → "已分发") or the name itself.
std::string state_label(Machine m, const std::string& state);

/// Chinese label of an action ("distribute" → "分发") or the name itself.
std::string action_label(const std::string& action);

/// The next state for action from state; throws Error(Conflict, "invalid_transition")
/// with details state=<from>, action=<action> when the table has no such transition.
const Transition& require_transition(Machine m, const std::string& action, const std::string& from);

}  // namespace twindraw::flow
