#include "workflows/publication-states.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <map>

namespace twindraw::publication {

namespace {

// The publishing staff publish and ask for corrections; the department head decides.
const std::vector<flow::Transition> kResult = {
    {"publish", "awaiting", "published", "publish.manage"},
    {"request_correction", "published", "correcting", "publish.manage"},
    {"approve_correction", "correcting", "published", "result.correct.approve"},
    {"refuse_correction", "correcting", "published", "result.correct.approve"},
};

const std::vector<flow::Transition> kCorrection = {
    {"approve", "pending", "approved", "result.correct.approve"},
    {"refuse", "pending", "refused", "result.correct.approve"},
};

const std::map<std::string, std::string> kStates = {
    {"incomplete", "任务未完成"}, {"awaiting", "待公示"}, {"published", "已公示"}, {"correcting", "更正审批中"},
    {"pending", "待审批"},        {"approved", "已批准"}, {"refused", "未批准"}};
const std::map<std::string, std::string> kActions = {{"publish", "公示"},
                                                     {"request_correction", "申请更正"},
                                                     {"approve_correction", "批准更正"},
                                                     {"refuse_correction", "不予更正"},
                                                     {"approve", "批准"},
                                                     {"refuse", "不予批准"}};

const flow::Transition& require(const std::vector<flow::Transition>& table, const std::string& action,
                                const std::string& from) {
    for (const auto& t : table)
        if (t.action == action && t.from == from) return t;
    throw conflict("invalid_transition", "当前状态为“" + state_label(from) + "”，不能" + action_label(action))
        .with("state", from)
        .with("action", action);
}

}  // namespace

const std::vector<flow::Transition>& result_transitions() {
    return kResult;
}

const std::vector<flow::Transition>& correction_transitions() {
    return kCorrection;
}

const flow::Transition& require_result_transition(const std::string& action, const std::string& from) {
    return require(kResult, action, from);
}

const flow::Transition& require_correction_transition(const std::string& action, const std::string& from) {
    return require(kCorrection, action, from);
}

std::vector<std::string> allowed_result_actions(const std::string& state, const std::vector<std::string>& permissions) {
    std::vector<std::string> out;
    for (const auto& t : kResult)
        if (t.from == state && std::find(permissions.begin(), permissions.end(), t.permission) != permissions.end())
            out.push_back(t.action);
    return out;
}

std::string state_label(const std::string& state) {
    auto it = kStates.find(state);
    return it == kStates.end() ? state : it->second;
}

std::string action_label(const std::string& action) {
    auto it = kActions.find(action);
    return it == kActions.end() ? action : it->second;
}

}  // namespace twindraw::publication
