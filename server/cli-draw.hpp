// `twindraw draw verify RECORD.json` (VERIFY-1): recomputes a published draw record
// offline, without a database. Exit code 0 when it matches, 1 when anything differs
// (each difference named in Chinese), 2 when the file cannot be read.
// `twindraw draw run REQUEST.json [--user U]` commits a draw (the body of POST /api/draws),
// `twindraw draw witness ID W --user U` enters the witness value and reveals it, and
// `twindraw draw export ID` prints a record: for scripts and the benchmark.
// `twindraw draw log verify` recomputes the hash chain of the public draw log.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace twindraw::cli {

void register_draw_commands(CLI::App& app);

/// Runs `draw verify` when chosen; returns its exit code, or -1 when not chosen.
int run_draw_commands(const std::string& database);

}  // namespace twindraw::cli
