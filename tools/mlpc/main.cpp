// mlpc: check, compile and run .mlp pipelines. See `mlpc --help`.
#include "commands.h"
#include "frontend.h"

#include "mlpc/version.h"
#include "plan/plan.h"

#include <cstdio>
#include <iostream>
#include <pthread.h>

namespace mlpc::cli {
int& exitCode() {
  static int code = 0;
  return code;
}
} // namespace mlpc::cli

namespace {

struct Args {
  int argc;
  char** argv;
  int result;
};

int runCli(int argc, char** argv) {
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
  mlpc::cli::registerGetAndCat(app);
  mlpc::cli::registerModels(app);
  mlpc::cli::registerExperiments(app);
  mlpc::cli::registerReproduce(app);
  mlpc::cli::registerReport(app);
  mlpc::cli::registerVerify(app);
  mlpc::cli::registerLsp(app);
  mlpc::cli::registerFmt(app);
  mlpc::cli::registerBaseline(app);
  mlpc::cli::registerUp(app);
  mlpc::cli::registerEndpoints(app);
  mlpc::cli::registerSchedules(app);
  mlpc::cli::registerMonitors(app);
  mlpc::cli::registerExport(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, like the other I/O-ish errors.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    // A safety net: an error no command anticipated still ends with a message in user terms,
    // never std::terminate's `what():` or a library's internal wording.
    std::string cmd;
    for (auto* sub : app.get_subcommands())
      cmd = sub->get_name();
    std::cerr << "error: mlpc " << cmd
              << " stopped on an unexpected problem: " << mlpc::plan::describeException(e) << "\n";
    return 2;
  }
  return mlpc::cli::exitCode();
}

void* cliThread(void* p) {
  auto* a = static_cast<Args*>(p);
  a->result = runCli(a->argc, a->argv);
  return nullptr;
}

} // namespace

int main(int argc, char** argv) {
  mlpc::cli::exePath() = "/proc/self/exe";
  // The parser and the checker recurse on the program's structure (nested expressions, long
  // dataflow chains written in reverse order), so they get a large stack. It is only address
  // space: pages are committed as they are touched.
  Args args{argc, argv, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t(1) << 30);
  pthread_t thread;
  if (pthread_create(&thread, &attr, cliThread, &args) != 0) return runCli(argc, argv);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  std::cout.flush();
  std::cerr.flush();
  return args.result;
}
