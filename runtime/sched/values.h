#pragma once
/// Values at run time and the evaluation of plan expressions (docs/plan-format.md). A value is
/// JSON: scalars as themselves, lists as arrays, a multi-output step result as
/// {"$record": {...}}, and an artifact as {"$artifact": HASH, "kind": "file"|"dir", "type": T}.
/// Evaluation needs only the plan, the run's parameters and the results computed so far.
#include "plan/expr.h"
#include "plan/plan.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::sched {

using plan::Expr;
using plan::ExprP;
using plan::Json;

inline bool isArtifact(const Json& v) {
  return v.is_object() && v.contains("$artifact");
}
/// Whether an artifact value names a directory tree (else a file).
inline bool isDirArtifact(const Json& v) {
  return v.is_object() && v.value("kind", "file") == "dir";
}
/// Whether `v` is a well-formed recorded artifact value: a string hash and, if present, a
/// string kind (what `inputs.json` and recorded parameters hold).
inline bool isRecordedArtifact(const Json& v) {
  return isArtifact(v) && v["$artifact"].is_string() &&
         (!v.contains("kind") || v["kind"].is_string());
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
  const Json* args = nullptr;   ///< a step's own arguments, for `{"arg": NAME}`
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

/// Evaluates `expr`; on failure returns nullopt with a message in `error`. A null expression
/// (an argument not given) is the value `null`.
std::optional<Json> evaluate(const Expr& expr, const EvalScope& scope, const EvalEnv& env,
                             std::string& error);
std::optional<Json> evaluate(const ExprP& expr, const EvalScope& scope, const EvalEnv& env,
                             std::string& error);

/// Evaluates an expression of a step's or server's own scope (a property value): `{"arg": NAME}`
/// reads the call's argument `args[NAME]`; everything else evaluates as in a pipeline, except
/// that artifacts cannot be read.
std::optional<Json> evaluateInStep(const Expr& expr, const Json& args, std::string& error);

/// Text for messages: numbers as in commands, strings bare, artifacts by short hash.
std::string displayValue(const Json& v);

} // namespace mlpc::sched
