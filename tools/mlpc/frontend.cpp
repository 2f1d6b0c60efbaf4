#include "frontend.h"

#include "commands.h"

#include <iostream>

namespace mlpc::cli {

std::string& exePath() {
  static std::string path = "/proc/self/exe";
  return path;
}

void releaseAtExit(std::unique_ptr<Frontend> fe) {
#if defined(__SANITIZE_ADDRESS__)
  fe.reset();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  fe.reset();
#else
  (void)fe.release();
#endif
#else
  (void)fe.release();
#endif
}

std::unique_ptr<Frontend> loadProgram(const std::string& file, const DiagOptions& diag,
                                      bool printWarnings) {
  auto fe = std::make_unique<Frontend>();
  sema::Options opts;
  opts.stdlibDirs = sema::defaultStdlibDirs(exePath());
  fe->program = sema::analyze(file, opts, fe->sm, fe->sink);
  bool failed = fe->sink.errorCount() > 0 || (diag.denyWarnings && fe->sink.warningCount() > 0);
  if (failed || printWarnings) {
    int code = emitDiagnostics(fe->sink, fe->sm, diag);
    if (failed) {
      exitCode() = code ? code : 1;
      // An unreadable entry file is an I/O error, not an error in the program.
      for (auto& d : fe->sink.diagnostics())
        if (d.code == DiagCode::ReadError) exitCode() = 2;
      return nullptr;
    }
  }
  return fe;
}

} // namespace mlpc::cli
