#include "common.h"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace mlpc::cli {

void addDiagOptions(CLI::App& cmd, DiagOptions& opts) {
  cmd.add_option("--diagnostics", opts.format, "How to print diagnostics: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd.add_flag("--deny-warnings", opts.denyWarnings, "Treat warnings as errors (exit 1)");
}

bool colorOnStderr() {
  const char* noColor = std::getenv("NO_COLOR");
  if (noColor && *noColor) return false;
  return ::isatty(2) == 1;
}

int emitDiagnostics(DiagnosticSink& sink, const SourceManager& sm, const DiagOptions& opts) {
  sink.sort(sm);
  if (opts.format == "json") {
    std::cout << renderJson(sink, sm);
  } else {
    RenderOptions ro;
    ro.color = colorOnStderr();
    writeAllText(sink, sm, ro, [](std::string_view part) { std::cerr << part; });
  }
  if (sink.errorCount()) return 1;
  if (opts.denyWarnings && sink.warningCount()) return 1;
  return 0;
}

} // namespace mlpc::cli
