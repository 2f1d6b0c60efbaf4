#pragma once
// Loading and checking a program the same way for check, compile, graph and run.
#include "common.h"
#include "sema/sema.h"

#include <memory>

namespace mlpc::cli {

struct Frontend {
  SourceManager sm;
  DiagnosticSink sink;
  std::unique_ptr<sema::Program> program;
};

/// Parses and checks `file`; returns null (after printing diagnostics and setting the exit
/// code) when the program has errors.
std::unique_ptr<Frontend> loadProgram(const std::string& file, const DiagOptions& diag,
                                      bool printWarnings = true);

/// Ends ownership of a checked program without freeing it: the process is about to exit, and
/// freeing a large program node by node costs more than checking it. Sanitizer builds free it,
/// so leak checking stays meaningful.
void releaseAtExit(std::unique_ptr<Frontend> fe);

/// argv[0] as seen by main, for finding the installed stdlib.
std::string& exePath();

} // namespace mlpc::cli

#include "plan/model.h"
#include <optional>
namespace mlpc::cli {
/// Checks `file`, lowers one pipeline and reads it into the typed plan (shared by compile,
/// graph, run and plan).
std::optional<plan::Plan> compileToPlan(const std::string& file, const std::string& pipeline,
                                        const std::vector<std::string>& params,
                                        const std::string& planDir, const DiagOptions& diag);
} // namespace mlpc::cli
