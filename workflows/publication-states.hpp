// The state machines of publication (PUB-2, PUB-3): a result's publication and a
// correction request, one table of (action, from, to, permission) each like
// workflows/job-states.cpp. A transition not in the table is a 409 carrying the
// current state. Pure data, no database.
#pragma once

#include "workflows/flow-states.hpp"

#include <string>
#include <vector>

namespace twindraw::publication {

/// A result (an accepted job): incomplete 任务未完成 (its task has jobs not accepted yet)
/// → awaiting 待公示 once the task completes → (publish) published 已公示 →
/// (request_correction) correcting 更正审批中 → (approve_correction | refuse_correction)
/// published again. Nothing leaves published except through a correction.
const std::vector<flow::Transition>& result_transitions();

/// A correction request: pending 待审批 → (approve) approved 已批准 | (refuse) refused 未批准.
const std::vector<flow::Transition>& correction_transitions();

/// The transition, or Error(Conflict, "invalid_transition") with state and action.
const flow::Transition& require_result_transition(const std::string& action, const std::string& from);
const flow::Transition& require_correction_transition(const std::string& action, const std::string& from);

/// The result actions allowed from state for these permissions, in table order.
std::vector<std::string> allowed_result_actions(const std::string& state, const std::vector<std::string>& permissions);

/// Chinese labels ("awaiting" → "待公示", "publish" → "公示").
std::string state_label(const std::string& state);
std::string action_label(const std::string& action);

}  // namespace twindraw::publication
