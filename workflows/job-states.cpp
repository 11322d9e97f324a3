#include "workflows/job-states.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <map>

namespace twindraw::jobs {

namespace {

// The inspectors of the group save and submit; a reviewer accepts or returns a
// submitted result; a returned one is corrected and submitted again.
const std::vector<flow::Transition> kJob = {
    {"save", "pending", "draft", "job.submit"},           {"save", "draft", "draft", "job.submit"},
    {"save", "returned", "returned", "job.submit"},       {"submit", "pending", "submitted", "job.submit"},
    {"submit", "draft", "submitted", "job.submit"},       {"submit", "returned", "submitted", "job.submit"},
    {"accept", "submitted", "accepted", "result.review"}, {"return", "submitted", "returned", "result.review"},
};

const std::map<std::string, std::string> kStates = {{"pending", "待检查"},
                                                    {"draft", "草稿"},
                                                    {"submitted", "待审核"},
                                                    {"returned", "已退回"},
                                                    {"accepted", "审核通过"},
                                                    {"cancelled", "已取消"}};
const std::map<std::string, std::string> kActions = {{"create", "生成检查作业"},
                                                     {"save", "保存草稿"},
                                                     {"submit", "提交结果"},
                                                     {"accept", "审核通过"},
                                                     {"return", "退回"},
                                                     // appeals and draw changes (docs/appeals-changes.md)
                                                     {"appeal", "提出申诉"},
                                                     {"appeal_accept", "申诉通过，结果已更正"},
                                                     {"appeal_reject", "申诉驳回"},
                                                     {"appeal_withdraw", "撤回申诉"},
                                                     {"replace_inspector", "更换执法人员"},
                                                     {"cancel", "移出名单，作业取消"}};

}  // namespace

const std::vector<flow::Transition>& transitions() {
    return kJob;
}

const flow::Transition& require_transition(const std::string& action, const std::string& from) {
    for (const auto& t : kJob)
        if (t.action == action && t.from == from) return t;
    throw conflict("invalid_transition", "当前状态为“" + state_label(from) + "”，不能" + action_label(action))
        .with("state", from)
        .with("action", action);
}

std::vector<std::string> allowed_actions(const std::string& state, const std::vector<std::string>& permissions) {
    std::vector<std::string> out;
    for (const auto& t : kJob)
        if (t.from == state && std::find(permissions.begin(), permissions.end(), t.permission) != permissions.end() &&
            std::find(out.begin(), out.end(), t.action) == out.end())
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

bool editable(const std::string& state) {
    return state == "pending" || state == "draft" || state == "returned";
}

}  // namespace twindraw::jobs
