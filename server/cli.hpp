// The data subcommands of twindraw: import, export, demo.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace twindraw::cli {

/// Adds `import`, `export` and `demo` to the command line.
void register_data_commands(CLI::App& app);

/// Runs whichever of them was given; returns the process exit code, or -1 when
/// none of them was chosen.
int run_data_commands(const std::string& database);

/// Repository data/ (holds the industry table) and the npm reference packages,
/// from TWINDRAW_REFERENCE_DIR / TWINDRAW_REFDATA_DIR or next to the binary
/// (build/twindraw → ../data, ../data/refdata/node_modules).
std::string default_reference_dir();
std::string default_refdata_dir();

}  // namespace twindraw::cli
