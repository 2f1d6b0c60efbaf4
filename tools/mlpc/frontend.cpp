#include "frontend.h"

#include "commands.h"

#include <iostream>

namespace mlpc::cli {

std::string& exePath() {
  static std::string path = "/proc/self/exe";
  return path;
}

std::unique_ptr<Frontend> loadProgram(const std::string& file, const DiagOptions& diag,
                                      bool printWarnings) {
  auto fe = std::make_unique<Frontend>();
  sema::Options opts;
  opts.stdlibDirs = sema::defaultStdlibDirs(exePath());
  fe->program = sema::analyze(file, opts, fe->sm, fe->sink);
  bool failed = fe->sink.errorCount() > 0 || (diag.denyWarnings && fe->sink.warningCount() > 0);
  if (failed || printWarnings || diag.format == "json") {
    int code = emitDiagnostics(fe->sink, fe->sm, diag);
    if (failed) {
      exitCode() = code ? code : 1;
      return nullptr;
    }
  }
  return fe;
}

} // namespace mlpc::cli
