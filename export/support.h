#pragma once
/// What the exporters share: the error for a construct a target cannot express, names and
/// quoting for other engines, constant folding of step properties, and a YAML writer.
#include "export/exporter.h"

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlpc::exporter {

using plan::Json;

/// Thrown by an exporter when the plan has something the target cannot express (or that
/// exceeds one of its limits); the entry point turns it into a Problem.
struct Unsupported : std::runtime_error {
  Unsupported(std::string range, const std::string& message)
      : std::runtime_error(message), range(std::move(range)) {}
  std::string range;
};

/// One word for a POSIX shell: single-quoted unless it is made of safe characters only.
std::string shellQuote(const std::string& word);

/// Hands out names unique in one namespace, made of the characters `allowed` accepts; other
/// characters become `-`, and a name starting with something other than a letter gets `prefix`.
class NameAllocator {
public:
  NameAllocator(bool lowercase, char separator, size_t maxLength)
      : lowercase_(lowercase), sep_(separator), max_(maxLength) {}
  void reserve(const std::string& name) { used_.insert(name); }
  /// The name for `key` (the same key always gets the same name), made from `base` (default:
  /// the key itself).
  std::string name(const std::string& key, const std::string& prefix = "t",
                   const std::string& base = "");

private:
  bool lowercase_;
  char sep_;
  size_t max_;
  std::set<std::string> used_;
  std::map<std::string, std::string> given_;
};

/// The value of an expression whose parts are all known when exporting: literals, pipeline
/// parameters (their value in the plan), and a call's arguments through `args` (null: none).
/// nullopt when something is only known at run time.
std::optional<Json> constantValue(const plan::Plan& plan, const plan::ExprP& e,
                                  const std::vector<plan::NamedExpr>* args);

/// constantValue, also folding the builtins `len`, `range` and `flatten` of known values and
/// `len` of a loop's results: for the targets that unroll loops at export (Airflow, SageMaker),
/// where a loop's list, and so its length, is fixed then.
std::optional<Json> foldedValue(const plan::Plan& plan, const plan::ExprP& e,
                                const std::vector<plan::NamedExpr>* args);

/// A step property (resources, timeout, retry) for one call: its plain value, or its expression
/// evaluated against the call's arguments. Throws Unsupported when it depends on run-time values.
Json propertyValue(const plan::Plan& plan, const plan::Prop& prop,
                   const std::vector<plan::NamedExpr>& args, const std::string& what,
                   const std::string& callRange);

/// A JSON document as YAML (block style; strings double-quoted as JSON escapes them, which
/// YAML reads back unchanged). Keys in the document's order.
std::string toYaml(const Json& doc);

/// Every node of a node list, depth first, in source order.
template <class F> void forEachNode(const std::vector<plan::Node>& nodes, F&& f) {
  for (auto& n : nodes) {
    f(n);
    for (auto* c : n.children())
      forEachNode(*c, f);
  }
}

/// The pipeline's parameter `name`, or null.
const plan::PipelineParam* findParam(const plan::Plan& plan, const std::string& name);

/// Output `out` of the step that call node `id` (in `nodeOf`, built with forEachNode) calls;
/// null when `id` is not a call or the step has no such output. Every exporter asks this.
const plan::StepOutput* callOutput(const plan::Plan& plan,
                                   const std::map<std::string, const plan::Node*>& nodeOf,
                                   const std::string& id, const std::string& out);

/// One argument of `argmax`/`argmin` (docs/export/*.md, "argmax and argmin"): a list known
/// when exporting (a literal, or a pipeline parameter: `param` names it, `constant` holds its
/// value in the plan), or the results of a node inside `for` loops: output `output` of node
/// `node` (or the node's own value when it has none), `field` a dotted path inside a Metrics
/// output ("" for the whole output), as `lifted` nested lists flattened into one.
struct SelectList {
  std::optional<Json> constant;
  std::string param;
  std::string node;
  std::optional<std::string> output;
  std::string field;
  int lifted = 0;
};

/// A computed binding `argmax(items, scores)` or `argmin(…)` whose arguments an exporter can
/// select from: every nesting level of a loop's results flattened (`flatten` where loops nest).
struct Selection {
  bool argmin = false;
  SelectList items, scores;
};

/// The selection a value node computes, or nullopt when it is not `argmax`/`argmin` of lists of
/// the forms above.
std::optional<Selection> selectionOf(const plan::Plan& plan, const plan::ValueNode& v);

/// `best` or `best.f1.x` over a selection binding of `selections` (keyed by node id): the
/// selection, with its node id and the dotted field path; null for anything else.
const Selection* selectionAt(const std::map<std::string, Selection>& selections,
                             const plan::ExprP& e, std::string& id, std::string& path);

/// `xs[I]` of a loop's results, `I` known when exporting (negative counts from the end): the
/// name of iteration I from `iterations` (a loop node's id → its unrolled iterations), or "".
std::string iterationAt(const plan::Plan& plan,
                        const std::map<std::string, std::vector<std::string>>& iterations,
                        const plan::ExprP& e);

/// `len(xs)` of a loop's results (`xs` bound inside `for` loops over lists known when
/// exporting): the length of the outermost lifted loop's list; nullopt for anything else.
std::optional<long long> loopResultsLength(const plan::Plan& plan, const plan::Expr& call);

/// The Python function (text, defining `_select(items, scores, argmin)`) that picks the winner
/// exactly as `mlpc run` does: the first largest (smallest) number, scores that are not numbers
/// skipped; an empty or mismatched list is an error. Every exporter's selection task embeds it.
const char* selectFunctionPython();

/// The port a batch inference job's server listens on, inside the job's own container.
constexpr int kTransformPort = 8080;

/// A server's `run` (or an `env` value) for a batch inference job: `${model}` is `modelPath`,
/// `${port}` is `port`, words quoted for the shell when `quote`. Throws Unsupported (at `range`)
/// for anything else known only at run time.
std::string serverTemplate(const plan::Plan& plan, const plan::StepDef& server,
                           const plan::ExprP& tmpl, const std::string& modelPath, int port,
                           bool quote, const std::string& what, const std::string& range);

/// `join_source` of a transform: its value, which must be known when exporting.
bool transformJoinSource(const plan::Plan& plan, const plan::TransformNode& t,
                         const std::string& what, const std::string& range);

/// The command of a batch inference job (`transform`): the stdlib's shard driver starts the
/// server's command (`serverCommand`, its `${model}` and `${port}` already filled in) on
/// `port`, waits for its health path, posts the rows of `dataPath` and writes the predictions
/// to `outPath`, in the format `mlpc run` writes them (docs/runtime.md, Batch transform).
std::string transformCommand(const plan::StepDef& server, const plan::TransformNode& t,
                             const std::string& driverPath, const std::string& serverCommand,
                             int port, bool joinSource, const std::string& dataPath,
                             const std::string& outPath);

/// The argument `name` of a step call, or null.
const plan::NamedExpr* callArg(const plan::CallNode& call, const std::string& name);
/// The type of step parameter `name`, or "".
std::string paramType(const plan::StepDef& def, const std::string& name);
/// Where a path of the plan (a step's `dir`, a data file) is inside the step image: absolute
/// paths as they are, `@stdlib/…` under `stdlibRoot`, the rest under `sourceRoot`.
std::string imagePath(const Options& opt, const std::string& path);

/// SageMaker jobs (the sagemaker and stepfunctions targets), docs/export/sagemaker.md:
/// `script` as ContainerArguments items of at most 256 characters cut at spaces (the entrypoint
/// `/bin/sh -c 'eval "$*"'` joins them back exactly), at most 100 of them. Over a limit, throws
/// Unsupported "TITLE cannot express the command of step `STEP`: …" naming `doc`.
Json containerArguments(const std::string& script, const std::string& step,
                        const std::string& callRange, const std::string& title,
                        const std::string& doc);

/// The SageMaker instance type for a call: the first of the table in docs/export/sagemaker.md
/// with at least the cpus, memory and GPUs of the step's `resources` (GPU steps only on GPU
/// types). Throws Unsupported (naming `doc`) when none fits or a value is not a constant number.
std::string instanceType(const plan::Plan& plan, const plan::StepDef& def,
                         const std::vector<plan::NamedExpr>& args, const std::string& callRange,
                         const std::string& title, const std::string& doc);

} // namespace mlpc::exporter
