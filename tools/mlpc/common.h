#pragma once
// What every front-end subcommand shares: loading the entry file, rendering diagnostics the same
// way (text on stderr with colour only on a terminal and never with NO_COLOR, or JSON), and exit
// codes (0 ok, 1 errors in the program, 2 usage or I/O errors).
#include "diag/diagnostic.h"

#include <CLI/CLI.hpp>
#include <string>

namespace mlpc::cli {

struct DiagOptions {
  std::string format = "text"; ///< text | json
  bool denyWarnings = false;
};

void addDiagOptions(CLI::App& cmd, DiagOptions& opts);

/// Prints the sorted diagnostics; returns the exit code they imply (1 when any error, or any
/// warning under --deny-warnings).
int emitDiagnostics(DiagnosticSink& sink, const SourceManager& sm, const DiagOptions& opts);

bool colorOnStderr();

} // namespace mlpc::cli
