#pragma once
/// The plan as C++ types: one struct per section, declaration kind and node kind of
/// docs/plan-format.md. `read` builds it from a plan's JSON once, through the shape checks of
/// `validate`; `toJson` writes it back with the same bytes `mlpc compile` wrote. Readers of a
/// plan (the executor, `plan`, `graph`, the report, the agent, the exporters) use these types
/// and never index the JSON by key.
#include "plan/expr.h"

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace mlpc::plan {

/// A JSON object's entries in the plan's order, with lookup by key. Plans are written in a
/// deterministic order (declaration order, first use), and readers keep it.
template <class T> class Table {
public:
  void add(std::string key, T value) {
    index_[key] = items_.size();
    items_.emplace_back(std::move(key), std::move(value));
  }
  const T* find(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

private:
  std::vector<std::pair<std::string, T>> items_;
  std::unordered_map<std::string, size_t> index_;
};

/// A plain value in the plan: a number, bool, string, list, or `null` (JSON as written).
using Value = Json;

/// Where an artifact's bytes come from: a `data` declaration, or an artifact parameter's value.
struct Source {
  std::string source = "path"; ///< "file", "dir" or "path" (either)
  std::string path;            ///< relative to the plan's base, or absolute
};

struct PipelineParam {
  std::string name;
  std::string type;
  std::optional<Value> defaultValue; ///< absent when the parameter has no default
  Value value;                       ///< the `--param` given, or the default
  std::string range;

  /// An artifact parameter's value as a source (`{"source": …, "path": …}`), or nullopt.
  std::optional<Source> source() const;
  /// Whether the value is already a stored artifact (`{"$artifact": HASH, …}`, as
  /// `mlpc reproduce` binds it).
  bool recordedArtifact() const;
};

struct Pipeline {
  std::string name;
  std::vector<PipelineParam> params;
  std::string range;
};

/// A `data` declaration (or an artifact parameter's source).
struct DataDecl {
  std::string type;
  std::string source; ///< "file", "dir" or "path"
  std::string path;   ///< relative to the plan's base, or absolute
  std::string range;
};

struct StepParam {
  std::string name;
  std::string type;
  std::optional<Value> defaultValue;
};

struct StepOutput {
  std::string name;
  std::string type;
  /// Metrics{…}: (field, type) with nested records' fields as dotted paths (`regression.mse.value`)
  std::optional<std::vector<std::pair<std::string, std::string>>> fields;
  bool isMetrics() const { return type.rfind("Metrics", 0) == 0; }
};

/// A step property number or bool: a plain value, or an expression over the step's parameters
/// evaluated per call (`{"expr": E, "type": T, "range": R}`).
struct Prop {
  Value plain;
  ExprP expr;
  std::string type;
  std::string range;
  bool isExpr() const { return expr != nullptr; }
};

struct Resources {
  Prop cpu, memoryBytes, gpu;
};
struct Retry {
  Prop attempts, backoffS;
};
struct CachePolicy {
  Prop enabled, expireS;
};

/// A step or a server definition (`steps` and `servers`); `isServer` selects which fields are
/// meaningful (`outputs`, `retry`, `cache` for steps; `health`, `invoke` for servers).
struct StepDef {
  bool isServer = false;
  std::string name;
  std::string module;
  std::string dir = ".";
  std::vector<StepParam> params;
  std::vector<StepOutput> outputs;
  ExprP run;   ///< a template: a string literal or an interpolation
  ExprP image; ///< a template or null
  std::vector<std::string> code;
  std::vector<NamedExpr> env;
  Resources resources;
  Prop timeoutS;
  Retry retry;
  CachePolicy cache;
  Value health; ///< servers: a string or null
  Value invoke; ///< servers: a string or null
  std::string range;

  const StepOutput* output(const std::string& n) const;
};

struct Node;

struct CallNode {
  std::string step; ///< a key of `steps`
  std::vector<NamedExpr> args;
};
struct TransformNode {
  ExprP model, data, shards;
  ExprP joinSource;           ///< a bool expression, or null (false)
  std::string format = "csv"; ///< of the data and of the predictions: "csv" or "jsonl"
  std::string server;         ///< a key of `servers`
};
struct ValueNode {
  ExprP value;
  std::string type;
};
struct ForNode {
  std::string var;
  ExprP over;
  std::vector<Node> body;
};
struct IfNode {
  ExprP cond;
  std::vector<Node> then, otherwise;
};
struct RegisterNode {
  ExprP model;
  std::string group; ///< a key of `models`
  ExprP metrics;     ///< null: none
  std::vector<NamedExpr> tags;
};
struct FailNode {
  ExprP message;
};

enum class NodeKind { Call, Transform, Value, For, If, Register, Fail };

struct Node {
  std::string id;
  std::string range;
  std::variant<CallNode, TransformNode, ValueNode, ForNode, IfNode, RegisterNode, FailNode> body;

  NodeKind kind() const { return static_cast<NodeKind>(body.index()); }
  /// The kind as the plan spells it ("call", "for", …).
  const char* kindName() const;
  template <class T> const T* as() const { return std::get_if<T>(&body); }
  /// The nested lists of a `for` (its body) or an `if` (then, else); empty for other kinds.
  std::vector<const std::vector<Node>*> children() const;
  /// Every node id this node's own fields refer to (not its nested lists'), with `lifted`.
  std::vector<std::pair<std::string, int>> refs() const;
  /// Whether this node's own fields read data declaration `key`.
  bool readsData(const std::string& key) const;
};

struct ModelGroup {
  std::string approval = "manual";  ///< "manual" or "auto"
  std::optional<std::string> serve; ///< a key of `servers`
  std::string range;
};

/// How an endpoint shifts traffic to a new version. Numbers are plain values as written
/// (percent as its number, seconds); a key absent from the plan is nullopt.
struct Strategy {
  std::string kind = "all_at_once"; ///< "all_at_once", "canary" or "linear"
  std::optional<Value> sizePercent, stepPercent, waitS;
};

struct EndpointMode {
  std::string kind = "realtime"; ///< "realtime", "serverless" or "async"
  std::optional<Value> idleS, queue, maxConcurrency;
};

/// `autoscale`: target tracking on invocations per instance per minute (SageMaker's meaning).
/// The checker makes every field a constant.
struct Autoscale {
  int minInstances = 1, maxInstances = 1;
  double target = 0;              ///< invocations per instance per minute
  double scaleOutCooldownS = 300; ///< SageMaker's default
  double scaleInCooldownS = 300;  ///< SageMaker's default
};

struct Endpoint {
  ExprP model; ///< a Model expression
  Value instances = 1;
  std::optional<Autoscale> autoscale;
  Strategy strategy;
  ExprP rollback; ///< a bool expression over metrics, or null
  Value bakeS, capturePercent;
  EndpointMode mode;
  std::string range;
};

struct Monitor {
  std::string endpoint;
  bool trainingDataBaseline = false; ///< `{"kind": "training_data"}`
  ExprP baseline;                    ///< otherwise an expression, or null
  Value everyS;
  ExprP alert, onAlert;
  std::string range;
};

struct Schedule {
  ExprP run; ///< a Pipeline expression
  std::optional<Value> cron, everyS;
  ExprP onChange; ///< null when absent
  std::string range;
};

struct Plan {
  int version = 1;
  std::string mlpcVersion;
  std::string base = ".";
  std::string entry;
  Pipeline pipeline;
  Table<DataDecl> data;
  Table<StepDef> steps;
  Table<StepDef> servers;
  std::vector<Node> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  Table<ModelGroup> models;
  Table<Endpoint> endpoints;
  Table<Monitor> monitors;
  Table<Schedule> schedules;
};

/// Reads a plan: `validate`'s checks, then every expression and field into the types above.
/// nullopt with `error` set (naming the JSON path) when the plan cannot be used.
std::optional<Plan> read(const Json& json, std::string& error);

/// The plan's JSON, key for key as `mlpc compile` writes it (`dump` gives its bytes).
Json toJson(const Plan& plan);

/// The plan's text: the bytes of `dump(toJson(plan))`, written straight from the model without
/// building the JSON tree (plan/write_text.cpp; a unit test keeps the two equal). As with `dump`,
/// a string that is not valid UTF-8 throws nlohmann's type_error.
std::string dump(const Plan& plan);

/// A definition's `env` and `outputs` as the plan writes them: part of a step's cache key
/// (sched::canonicalAction), which must not change when the C++ model does.
Json envJson(const StepDef& def);
Json outputsJson(const StepDef& def);

} // namespace mlpc::plan
