#pragma once
/// Values at run time and the evaluation of plan expressions (docs/plan-format.md). A value is
/// JSON: scalars as themselves, lists as arrays, a multi-output step result as
/// {"$record": {...}}, and an artifact as {"$artifact": HASH, "kind": "file"|"dir", "type": T}.
/// Evaluation needs only the plan, the run's parameters and the results computed so far.
#include "plan/plan.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::sched {

using plan::Json;

inline bool isArtifact(const Json& v) {
  return v.is_object() && v.contains("$artifact");
}
inline Json artifactValue(const std::string& hash, const std::string& kind,
                          const std::string& type) {
  return Json{{"$artifact", hash}, {"kind", kind}, {"type", type}};
}

/// Where an expression is evaluated: the loop indices around it and the loop variables' values.
struct EvalScope {
  std::vector<size_t> indices;      ///< one per enclosing `for`, outermost first
  std::map<std::string, Json> vars; ///< loop variables in scope
};

/// What the evaluator asks of its caller.
struct EvalEnv {
  const Json* params = nullptr; ///< name -> value
  /// The value of node `id` at `indices` (exactly the node's loop depth), or of its lifted list
  /// when `lifted` > 0 (then `indices` has depth - lifted entries). nullopt: not available.
  std::function<std::optional<Json>(const std::string& id, const std::vector<size_t>& indices,
                                    int lifted)>
      node;
  /// The value of data declaration `name` (an artifact).
  std::function<std::optional<Json>(const std::string& name)> data;
  /// Reads a Metrics artifact's JSON object (for `scores.auc`).
  std::function<std::optional<Json>(const Json& artifact, std::string& error)> readJson;
};

/// Evaluates `expr`; on failure returns nullopt with a message in `error`.
std::optional<Json> evaluate(const Json& expr, const EvalScope& scope, const EvalEnv& env,
                             std::string& error);

/// Evaluates an expression of a step's or server's own scope (a property value): `{"arg": NAME}`
/// reads the call's argument `args[NAME]`; everything else evaluates as in a pipeline, except
/// that artifacts cannot be read.
std::optional<Json> evaluateInStep(const Json& expr, const Json& args, std::string& error);

/// Every node id an expression refers to, with its `lifted` count.
void refsOf(const Json& expr, std::vector<std::pair<std::string, int>>& out);

/// Text for messages: numbers as in commands, strings bare, artifacts by short hash.
std::string displayValue(const Json& v);

} // namespace mlpc::sched
