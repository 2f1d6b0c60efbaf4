// mlpc: check, compile and run .mlp pipelines. See `mlpc --help`.
#include "commands.h"
#include "frontend.h"

#include "mlpc/version.h"

#include <iostream>

namespace mlpc::cli {
int& exitCode() {
  static int code = 0;
  return code;
}
} // namespace mlpc::cli

int main(int argc, char** argv) {
  mlpc::cli::exePath() = "/proc/self/exe";
  CLI::App app{"mlpc — typed ML pipelines: check, compile, run, track and register models"};
  app.set_version_flag("--version", std::string("mlpc ") + mlpc::kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  mlpc::cli::registerParse(app);
  mlpc::cli::registerCheck(app);
  mlpc::cli::registerCompile(app);
  mlpc::cli::registerGraph(app);
  mlpc::cli::registerRun(app);
  mlpc::cli::registerPlan(app);
  mlpc::cli::registerHistory(app);
  mlpc::cli::registerLineage(app);
  mlpc::cli::registerModels(app);
  mlpc::cli::registerExperiments(app);
  mlpc::cli::registerReport(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return mlpc::cli::exitCode();
}
