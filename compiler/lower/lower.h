#pragma once
/// Lowering: the typed program of one pipeline (plus the program's models, endpoints, monitors
/// and schedules) into a plan. The only piece that sees both the typed program and the plan.
#include "diag/diagnostic.h"
#include "plan/model.h"
#include "plan/plan.h"
#include "sema/sema.h"

#include <optional>

namespace mlpc::plan {

struct LowerOptions {
  std::string pipeline; ///< empty: the entry file's only pipeline
  std::vector<std::pair<std::string, std::string>> params; ///< --param NAME=VALUE, in order
  /// Directory the plan is written to; the plan's `base` (the entry file's directory) is stored
  /// relative to it so a checkout can move. Empty: the current directory.
  std::string planDir;
};

/// Lowers into the typed plan; returns nullopt after reporting (E031 unknown pipeline, E032 bad
/// --param), or with `internalError` set when the plan built does not hold together (the plan's
/// reader refuses its JSON parts, or a node names a step that is not there): a bug in mlpc.
std::optional<Plan> lower(const sema::Program& program, const LowerOptions& opts,
                          DiagnosticSink& sink, std::string& internalError);

/// The same, as the plan's JSON (`toJson`), for tests and the fuzzer that look at it by key;
/// throws std::logic_error where the other sets `internalError`.
std::optional<Json> lower(const sema::Program& program, const LowerOptions& opts,
                          DiagnosticSink& sink);

} // namespace mlpc::plan
