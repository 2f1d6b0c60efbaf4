#pragma once
/// The records MetaStore reads and writes. Times are unix seconds (double); optional fields are
/// NULL in the database.
#include "store/store.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc::meta {

using store::Error;
using store::fail;
using store::Result;
using store::Status;

enum class RunStatus { Running, Succeeded, Failed, Interrupted };
enum class ExecStatus { Running, Succeeded, Failed, Cached, Skipped, TimedOut, Cancelled };

/// The spelling stored in the database and shown to users ("timed_out", ...).
std::string_view toString(RunStatus status);
std::string_view toString(ExecStatus status);
std::optional<RunStatus> parseRunStatus(std::string_view text);
std::optional<ExecStatus> parseExecStatus(std::string_view text);

struct RunCounts {
  int64_t ran = 0;
  int64_t cached = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  bool operator==(const RunCounts&) const = default;
};

/// A pipeline parameter as given for a run.
struct Param {
  std::string name;
  std::string valueJson;
  bool operator==(const Param&) const = default;
};

struct NewRun {
  std::string pipeline;
  std::string entry;    ///< path of the .mlp file
  std::string planHash; ///< hex
  std::string paramsJson = "{}";
  std::vector<Param> params;  ///< the same values, one row each (queryable)
  double startedAt = 0;       ///< 0: now
  int64_t pid = 0;            ///< 0: this process
  std::string reproductionOf; ///< the model version a `mlpc reproduce` run re-makes; "" otherwise
};

struct RunRecord {
  std::string id; ///< r-YYYYMMDD-HHMMSS-xxxx (UTC): sorts by start time
  std::string pipeline;
  std::string entry;
  std::string planHash;
  std::string paramsJson;
  RunStatus status = RunStatus::Running;
  std::string message;
  double startedAt = 0;
  std::optional<double> finishedAt;
  std::string host;
  int64_t pid = 0;
  RunCounts counts;
  std::string reproductionOf; ///< e.g. "churn@1" for a reproduction run; "" otherwise
};

struct RunFilter {
  std::string pipeline; ///< empty: all
  int64_t limit = 50;   ///< <= 0: no limit
};

struct ExecutionRecord {
  int64_t id = 0; ///< assigned by the store
  std::string runId;
  std::string node; ///< plan node id, e.g. "train[2]"
  std::string step; ///< qualified step name
  std::string cacheKey;
  ExecStatus status = ExecStatus::Running;
  std::optional<int64_t> exitCode;
  int64_t attempts = 0;
  std::optional<double> queuedAt; ///< when it became ready to run (it then waits for a slot)
  double startedAt = 0;           ///< 0: now (on insert)
  std::optional<double> finishedAt;
  std::string stdoutPath;
  std::string stderrPath;
  std::string source; ///< "file.mlp:12:3"
  std::string command;
  std::string image;
  std::optional<int64_t> cachedFrom; ///< execution whose outputs were reused
  std::string paramsJson = "{}";
  std::string error;
};

struct ArtifactRecord {
  std::string hash;
  store::ArtifactKind kind = store::ArtifactKind::File;
  uint64_t size = 0;
  std::string type;     ///< e.g. "Dataset<csv>"; the first non-empty type recorded wins
  double createdAt = 0; ///< 0: now (on first insert)
};

/// A named input or output of an execution.
struct Binding {
  std::string name;
  ArtifactRecord artifact;
};

/// A code file an execution depended on.
struct CodeRef {
  std::string path;
  std::string hash;
  bool operator==(const CodeRef&) const = default;
};

/// A code file a run kept when it started (`mlpc reproduce` runs these bytes): every `code` file
/// of the plan's steps and servers, and the stdlib scripts the runtime itself runs.
struct RunCodeFile {
  std::string dir;  ///< the step's `dir` as the plan writes it (".", "lib", "@stdlib/std")
  std::string path; ///< relative to `dir`, as in the step's `code`
  /// The bytes' SHA-256 (a file object in the store); nullopt when the file did not exist when
  /// the run started (the step then fails if it runs, and so does its reproduction).
  std::optional<std::string> hash;
  bool operator==(const RunCodeFile&) const = default;
};

struct Metric {
  std::string name;
  double value = 0;
  bool operator==(const Metric&) const = default;
};

struct MetricRecord {
  std::string runId;
  int64_t executionId = 0;
  std::string node;
  std::string name;
  double value = 0;
};

/// Everything recorded alongside an execution.
struct ExecutionIo {
  std::vector<Binding> inputs;
  std::vector<Binding> outputs;
  std::vector<CodeRef> code;
  std::vector<Metric> metrics;
};

/// The end of an execution started with startExecution.
struct ExecutionFinish {
  int64_t id = 0;
  ExecStatus status = ExecStatus::Succeeded;
  std::optional<int64_t> exitCode;
  int64_t attempts = 1;
  double finishedAt = 0; ///< 0: now
  /// When its process first started. The execution was recorded when it was queued (its
  /// started_at so far); with this set, that time moves to queued_at and started_at becomes the
  /// launch, so waiting for a slot is not counted as running.
  std::optional<double> launchedAt;
  std::string error;
  std::vector<Binding> outputs;
  std::vector<Metric> metrics;
};

struct CacheQuery {
  std::string cacheKey;
  double now = 0;                      ///< 0: now
  std::optional<double> maxAgeSeconds; ///< entries finished earlier than now - maxAge are stale
  /// Whether an output is still in the object store (e.g. Store::has); candidates with a missing
  /// output are skipped. When empty, every output is assumed present.
  std::function<bool(const ArtifactRecord&)> outputExists;
};

/// What a cache lookup answers with: only what reusing an execution needs, all of it read from
/// the lookup's index (executions_by_cache_key covers it) and the output bindings.
struct CacheHit {
  int64_t executionId = 0; ///< the succeeded execution to reuse
  std::string runId;       ///< the run it belongs to
  std::vector<Binding> outputs;
};

/// What a run needs to repeat the run before it as a whole (MetaStore::repeatLastRun).
struct RepeatQuery {
  std::string runId;       ///< the new run: created, with its code recorded (recordRunCode)
  std::string mlpcVersion; ///< the version the reused actions must carry (it is in every key)
  double now = 0;          ///< 0: now
  /// Whether an output is still in the object store, as for a lookup (CacheQuery).
  std::function<bool(const ArtifactRecord&)> outputExists;
  /// Whether the earlier run read the same data as this one (its inputs are kept in a file).
  std::function<bool(const std::string& earlierRunId)> sameInputs;
};

/// One execution a repeated run recorded: a cache hit, as a lookup would have made it.
struct RepeatedExecution {
  std::string node, step, source;
};

struct RepeatedRun {
  std::string from;                          ///< the run repeated
  std::vector<RepeatedExecution> executions; ///< in the order the earlier run recorded them
};

struct NewModelVersion {
  std::string group;
  std::string artifactHash; ///< must already be a recorded artifact
  std::string runId;        ///< empty: none
  std::optional<int64_t> executionId;
  std::string metricsJson = "{}";
  std::string tagsJson = "{}";
  std::string initialStatus = "registered";
  std::string actor;
  std::string comment;
  double createdAt = 0; ///< 0: now
  /// When the group already holds a version of this artifact, return that version (with
  /// `reused` set) instead of adding one. Decided inside the registering transaction, so two
  /// runs registering one model at the same time get one version between them.
  bool reuseSameArtifact = false;
};

struct ModelVersion {
  std::string group;
  int64_t version = 0; ///< 1, 2, ... per group, allocated by registerVersion
  std::string artifactHash;
  std::string runId;
  std::optional<int64_t> executionId;
  std::string metricsJson;
  std::string tagsJson;
  std::string status;
  double createdAt = 0;
  bool reused = false; ///< set only by registerVersion: an existing version was returned
};

struct ModelVersionEvent {
  int64_t id = 0;
  std::string group;
  int64_t version = 0;
  std::optional<std::string> fromStatus; ///< nullopt for the registration event
  std::string toStatus;
  std::string actor;
  double at = 0;
  std::string comment;
};

} // namespace mlpc::meta
