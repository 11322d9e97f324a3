#include "workflows/account-permissions.hpp"

#include <algorithm>

namespace twindraw::accounts {

const std::vector<PermissionInfo>& permission_catalogue() {
    static const std::vector<PermissionInfo> all = {
        {"registry.read", "查看一单两库", "一单两库"},
        {"registry.write", "维护一单两库", "一单两库"},
        {"registry.import", "批量导入", "一单两库"},
        {"plan.create", "制定抽查计划", "计划与任务"},
        {"plan.distribute", "下发抽查计划", "计划与任务"},
        {"task.create", "创建抽查任务", "计划与任务"},
        {"task.review", "审核抽查任务", "计划与任务"},
        {"draw.run", "执行随机抽取", "随机抽取"},
        {"draw.witness", "担任抽取监督人员（录入见证值）", "随机抽取"},
        {"job.submit", "录入检查结果", "检查实施"},
        {"result.review", "审核检查结果", "检查实施"},
        {"publish.manage", "管理结果公示", "结果公示"},
        {"system.users", "用户管理", "系统管理"},
        {"system.roles", "角色管理", "系统管理"},
        {"system.org", "组织机构管理", "系统管理"},
        {"system.loginlog", "查看登录日志", "系统管理"},
        {"audit.read", "查看操作留痕", "系统管理"},
        {"system.dict", "数据字典与工作日历", "系统管理"},
        {"system.announce", "系统公告与系统消息", "系统管理"},
        {"system.feedback", "处理问题反馈", "系统管理"},
        {"plan.read", "查看抽查计划", "计划与任务"},
        {"task.read", "查看抽查任务", "计划与任务"},
        {"work.receive", "接收抽查工作", "计划与任务"},
        {"draw.read", "查看抽取记录与日志", "随机抽取"},
        {"draw.manage", "管理抽取过滤规则与执法回避", "随机抽取"},
        {"patrol.manage", "管理巡查点、巡查路线与片区", "网络监管"},
        {"stats.read", "查看统计与领导驾驶舱", "数据展现"},
        {"draw.change.approve", "审批检查对象名单与执法人员变更", "随机抽取"},
        {"result.correct.approve", "审批公示结果更正（部门负责人）", "结果公示"},
        {"joint.summary.upload", "上传联合检查汇总表（联合抽查牵头部门）", "检查实施"},
        {"unlicensed.read", "查看无照经营", "网络监管"},
        {"unlicensed.record", "录入无照经营", "网络监管"},
        {"unlicensed.handle", "处置无照经营（更新状态）", "网络监管"},
    };
    return all;
}

bool is_grantable_permission(const std::string& name) {
    const auto& all = permission_catalogue();
    return std::any_of(all.begin(), all.end(), [&](const PermissionInfo& p) { return p.name == name; });
}

bool is_known_route_permission(const std::string& name) {
    return name == "public" || name == "authenticated" || name == "session" || is_grantable_permission(name);
}

const std::vector<std::string>& data_scopes() {
    static const std::vector<std::string> scopes = {"all", "district", "unit_tree", "unit", "self"};
    return scopes;
}

int scope_rank(const std::string& scope) {
    const auto& s = data_scopes();
    auto it = std::find(s.begin(), s.end(), scope);
    return it == s.end() ? -1 : static_cast<int>(it - s.begin());
}

}  // namespace twindraw::accounts
