#include "workflows/flow-states.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <map>

namespace twindraw::flow {

namespace {

// Plans (PLAN-1/2): only undistributed plans (draft, or recalled) are edited, deleted
// or distributed; a distributed plan is recalled, and a recalled one can be corrected
// and distributed again (a joint plan is then re-published, PLAN-3).
const std::vector<Transition> kPlan = {
    {"edit", "draft", "draft", "plan.create"},
    {"edit", "recalled", "recalled", "plan.create"},
    {"delete", "draft", "", "plan.create"},
    {"delete", "recalled", "", "plan.create"},
    {"distribute", "draft", "distributed", "plan.distribute"},
    {"distribute", "recalled", "distributed", "plan.distribute"},
    {"recall", "distributed", "recalled", "plan.distribute"},
};

// Tasks (TASK-1, TASK-5..7): edited and deleted only while created or returned;
// submitted for review; approved or returned by the reviewer; urged once approved.
const std::vector<Transition> kTask = {
    {"edit", "created", "created", "task.create"},
    {"edit", "returned", "returned", "task.create"},
    {"delete", "created", "", "task.create"},
    {"delete", "returned", "", "task.create"},
    {"submit", "created", "submitted", "task.create"},
    {"submit", "returned", "submitted", "task.create"},
    {"approve", "submitted", "approved", "task.review"},
    {"return", "submitted", "returned", "task.review"},
    {"urge", "approved", "approved", "task.review"},
};

// One executing unit of an approved task (WORK-3).
const std::vector<Transition> kTaskUnit = {
    {"receive", "waiting", "received", "work.receive"},
};

const std::map<std::string, std::string> kPlanStates = {
    {"draft", "未分发"}, {"distributed", "已分发"}, {"recalled", "已回收"}};
const std::map<std::string, std::string> kTaskStates = {
    {"created", "已创建"}, {"submitted", "待审核"}, {"returned", "已退回"}, {"approved", "审核通过"}};
const std::map<std::string, std::string> kUnitStates = {{"waiting", "待接收"}, {"received", "已接收"}};
const std::map<std::string, std::string> kActions = {
    {"create", "新增"},     {"edit", "编辑"},        {"delete", "删除"}, {"distribute", "分发"}, {"recall", "回收"},
    {"submit", "提交审核"}, {"approve", "审核通过"}, {"return", "退回"}, {"urge", "催办"},       {"receive", "接收"},
    {"draw", "随机抽取"},
    {"joint_summary", "上传联合检查汇总表"}};

}  // namespace

const std::vector<Transition>& transitions(Machine m) {
    switch (m) {
        case Machine::Plan:
            return kPlan;
        case Machine::Task:
            return kTask;
        case Machine::TaskUnit:
            return kTaskUnit;
    }
    return kPlan;
}

const Transition* find_transition(Machine m, const std::string& action, const std::string& from) {
    for (const auto& t : transitions(m))
        if (t.action == action && t.from == from) return &t;
    return nullptr;
}

bool is_action(Machine m, const std::string& action) {
    const auto& all = transitions(m);
    return std::any_of(all.begin(), all.end(), [&](const Transition& t) { return t.action == action; });
}

std::vector<std::string> allowed_actions(Machine m, const std::string& state,
                                         const std::vector<std::string>& permissions) {
    std::vector<std::string> out;
    for (const auto& t : transitions(m))
        if (t.from == state && std::find(permissions.begin(), permissions.end(), t.permission) != permissions.end() &&
            std::find(out.begin(), out.end(), t.action) == out.end())
            out.push_back(t.action);
    return out;
}

std::string state_label(Machine m, const std::string& state) {
    const auto& labels = m == Machine::Plan ? kPlanStates : m == Machine::Task ? kTaskStates : kUnitStates;
    auto it = labels.find(state);
    return it == labels.end() ? state : it->second;
}

std::string action_label(const std::string& action) {
    auto it = kActions.find(action);
    return it == kActions.end() ? action : it->second;
}

const Transition& require_transition(Machine m, const std::string& action, const std::string& from) {
    if (const auto* t = find_transition(m, action, from)) return *t;
    throw conflict("invalid_transition", "当前状态为“" + state_label(m, from) + "”，不能" + action_label(action))
        .with("state", from)
        .with("action", action);
}

}  // namespace twindraw::flow
