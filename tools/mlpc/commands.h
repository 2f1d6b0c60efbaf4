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
void registerRun(CLI::App& app);
void registerPlan(CLI::App& app);
void registerHistory(CLI::App& app);
void registerLineage(CLI::App& app);
void registerModels(CLI::App& app);
void registerExperiments(CLI::App& app);
void registerReproduce(CLI::App& app);
void registerReport(CLI::App& app);
void registerGetAndCat(CLI::App& app);
void registerVerify(CLI::App& app);
void registerLsp(CLI::App& app);
void registerFmt(CLI::App& app);
void registerBaseline(CLI::App& app);
void registerUp(CLI::App& app);
void registerEndpoints(CLI::App& app);
void registerSchedules(CLI::App& app);
void registerMonitors(CLI::App& app);
void registerExport(CLI::App& app);

} // namespace mlpc::cli
