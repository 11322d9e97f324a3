// The state machine of an inspection job and its result (JOB-3, WORK-7): one table of
// (action, from, to, permission) like workflows/flow-states.cpp. A transition not in the
// table is a 409 carrying the current state. Pure data, no database.
#pragma once

#include "workflows/flow-states.hpp"

#include <string>
#include <vector>

namespace twindraw::jobs {

/// pending 待检查 → (save) draft 草稿 → (submit) submitted 待审核 → (accept) accepted
/// 审核通过, or (return) returned 已退回 → (save, submit) again.
const std::vector<flow::Transition>& transitions();

/// The transition, or Error(Conflict, "invalid_transition") with state and action.
const flow::Transition& require_transition(const std::string& action, const std::string& from);

/// The actions allowed from state for these permissions, in table order.
std::vector<std::string> allowed_actions(const std::string& state, const std::vector<std::string>& permissions);

/// Chinese labels ("submitted" → "待审核", "accept" → "审核通过").
std::string state_label(const std::string& state);
std::string action_label(const std::string& action);

/// Whether files may be added or the form changed in this state.
bool editable(const std::string& state);

}  // namespace twindraw::jobs
