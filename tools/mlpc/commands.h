#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself on the app.
#include <CLI/CLI.hpp>

namespace mlpc::cli {

/// Set by a subcommand's callback; main returns it.
int& exitCode();

void registerParse(CLI::App& app);
void registerCheck(CLI::App& app);
void registerCompile(CLI::App& app);
void registerGraph(CLI::App& app);
void registerRuntimeCommands(CLI::App& app);

} // namespace mlpc::cli
