#include "server/cli-audit.hpp"

#include "workflows/audit-verify.hpp"

#include <iostream>

namespace twindraw::cli {

namespace {
CLI::App* audit_cmd = nullptr;
CLI::App* verify_cmd = nullptr;
}  // namespace

void register_audit_commands(CLI::App& app) {
    audit_cmd = app.add_subcommand("audit", "审计日志");
    audit_cmd->require_subcommand(1);
    verify_cmd = audit_cmd->add_subcommand(
        "verify", "校验审计日志哈希链：完整时退出码 0，发现改动、删除或插入时退出码 3 并指出第一条有问题的记录");
}

int run_audit_commands(const std::string& database) {
    if (!audit_cmd || !*audit_cmd) return -1;
    pqxx::connection conn(database);
    auto result = audit::verify(conn);
    if (!result.broken) {
        std::cout << "审计链完整：" << result.rows << " 条" << std::endl;
        return 0;
    }
    const auto& b = *result.broken;
    std::cout << "审计链断裂：第 " << b.id << " 条（" << audit::kind_name(b.kind) << "）：" << b.message
              << "；此前 " << result.rows << " 条完整" << std::endl;
    return 3;
}

}  // namespace twindraw::cli
