// `twindraw audit verify`: walks the audit trail's hash chain (AUDIT-1).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace twindraw::cli {

/// Adds `audit verify` to the command line.
void register_audit_commands(CLI::App& app);

/// Runs it when chosen: exit code 0 when the chain is intact, 3 when it is broken;
/// -1 when `audit` was not given.
int run_audit_commands(const std::string& database);

}  // namespace twindraw::cli
