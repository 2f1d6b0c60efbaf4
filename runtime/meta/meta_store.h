#pragma once
/// Run metadata: runs, executions, artifacts and their lineage, the step cache index, metrics,
/// remembered file hashes and the model registry. MetaStore is the backend-neutral interface
/// (SQLite today, see sqlite_meta_store.h; PostgreSQL can follow). Every state-changing call is
/// one transaction: it is fully applied or not at all, even with other processes writing.
#include "meta/integrity.h"
#include "meta/records.h"
#include "store/hash_cache.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::meta {

class MetaStore {
public:
  virtual ~MetaStore() = default;

  // --- runs ---------------------------------------------------------------------------------
  /// Inserts a run in status `running` with a fresh id, plus one params row per `run.params`.
  virtual Result<RunRecord> createRun(const NewRun& run) = 0;
  /// Sets the final status, message, counts and finished_at (now).
  virtual Status finishRun(const std::string& id, RunStatus status, const std::string& message,
                           const RunCounts& counts) = 0;
  /// By exact id or unique prefix; an ambiguous prefix is an error listing the candidates.
  virtual Result<RunRecord> getRun(const std::string& idOrPrefix) = 0;
  /// Newest first.
  virtual Result<std::vector<RunRecord>> listRuns(const RunFilter& filter) = 0;
  virtual Result<std::vector<Param>> paramsOf(const std::string& runId) = 0;
  /// Records the code files a run kept in the store when it started (all in one transaction).
  virtual Status recordRunCode(const std::string& runId, const std::vector<RunCodeFile>& files) = 0;
  /// The code files a run kept, by dir and path; empty for a run from before schema version 3.
  virtual Result<std::vector<RunCodeFile>> runCodeOf(const std::string& runId) = 0;
  /// Marks `running` runs of this host whose process is gone as `interrupted` (and their
  /// running executions as `cancelled`). Returns the ids it changed.
  virtual Result<std::vector<std::string>> markStaleRunsInterrupted() = 0;

  // --- executions ---------------------------------------------------------------------------
  /// Inserts an execution (normally status `running`) with its inputs and code; returns its id.
  virtual Result<int64_t> startExecution(const ExecutionRecord& exec,
                                         const std::vector<Binding>& inputs,
                                         const std::vector<CodeRef>& code) = 0;
  /// Completes an execution: status, exit code, outputs (artifacts recorded) and metrics.
  virtual Status finishExecution(const ExecutionFinish& finish) = 0;
  /// Inserts a complete execution (e.g. `cached` or `skipped`) with everything in `io`.
  virtual Result<int64_t> recordExecution(const ExecutionRecord& exec, const ExecutionIo& io) = 0;
  /// Many complete executions in one transaction (a run's cache hits), in order.
  virtual Status
  recordExecutions(const std::vector<std::pair<ExecutionRecord, ExecutionIo>>& all) = 0;
  virtual Result<ExecutionRecord> getExecution(int64_t id) = 0;
  /// In id order.
  virtual Result<std::vector<ExecutionRecord>> executionsOf(const std::string& runId) = 0;

  // --- cache --------------------------------------------------------------------------------
  /// The newest `succeeded` execution with this cache key, not older than maxAge, whose outputs
  /// all still exist according to `query.outputExists`; nullopt on a miss.
  virtual Result<std::optional<CacheHit>> lookupCache(const CacheQuery& query) = 0;
  /// While on, lookupCache may read from one snapshot kept between calls (a lookup can then
  /// miss an execution another process records meanwhile, as if it had looked a moment
  /// earlier). Any write ends the snapshot first; turning it off ends it too. Off by default.
  virtual Status holdLookups(bool on) = 0;
  /// The writes from beginBatch() to endBatch() commit together at endBatch(), each still all
  /// or nothing on its own; meanwhile this store holds the database's write lock, so a batch
  /// must not wait for anything. If endBatch() fails, none of them was recorded. For stores
  /// without transactions both are no-ops.
  virtual Status beginBatch() { return {}; }
  virtual Status endBatch() { return {}; }
  /// Records every execution of the newest earlier run again as a cache hit of this run, in one
  /// transaction, when that is exactly what looking each step up would record: the earlier run
  /// succeeded, ran the same plan (hash), pipeline, entry, parameters, code and data
  /// (`sameInputs`), overlapped no other run, and no run started since; each of its executions
  /// ran or reused an execution that still `succeeded` with the same key, carries
  /// `mlpcVersion`, and has every output still stored. Metrics are copied with them. nullopt,
  /// with nothing written, when any of that does not hold.
  virtual Result<std::optional<RepeatedRun>> repeatLastRun(const RepeatQuery& query) = 0;

  // --- artifacts and lineage ----------------------------------------------------------------
  /// Inserts the artifact if new (and fills in an empty type).
  virtual Status recordArtifact(const ArtifactRecord& artifact) = 0;
  virtual Result<std::optional<ArtifactRecord>> getArtifact(const std::string& hash) = 0;
  /// Full hash from a unique hex prefix; ambiguous or unknown prefixes are errors.
  virtual Result<std::string> resolveArtifact(const std::string& prefix) = 0;
  /// The first non-cached execution that output the artifact (nullopt for e.g. source data).
  virtual Result<std::optional<ExecutionRecord>> producerOf(const std::string& hash) = 0;
  /// Executions that took the artifact as an input, in id order.
  virtual Result<std::vector<ExecutionRecord>> consumersOf(const std::string& hash) = 0;
  virtual Result<std::vector<Binding>> inputsOf(int64_t executionId) = 0;
  virtual Result<std::vector<Binding>> outputsOf(int64_t executionId) = 0;
  virtual Result<std::vector<CodeRef>> codeOf(int64_t executionId) = 0;

  // --- metrics ------------------------------------------------------------------------------
  virtual Result<std::vector<MetricRecord>> metricsOf(const std::string& runId) = 0;

  // --- file hash cache (backs store::HashCache, see MetaHashCacheBackend) -------------------
  virtual Result<std::optional<store::HashCacheEntry>> lookupFileHash(const std::string& path) = 0;
  virtual Status storeFileHashes(const std::vector<store::HashCacheEntry>& entries) = 0;

  // --- model registry -----------------------------------------------------------------------
  /// Allocates the group's next version number atomically (concurrent registrations get
  /// distinct, gap-free numbers) and records the initial status event.
  virtual Result<ModelVersion> registerVersion(const NewModelVersion& version) = 0;
  virtual Result<ModelVersion> getVersion(const std::string& group, int64_t version) = 0;
  /// In version order.
  virtual Result<std::vector<ModelVersion>> listVersions(const std::string& group) = 0;
  /// Every group that has at least one version, by name.
  virtual Result<std::vector<std::string>> modelGroups() = 0;
  /// Changes the status and records the event; returns the updated version.
  virtual Result<ModelVersion>
  transitionVersion(const std::string& group, int64_t version, const std::string& toStatus,
                    const std::string& actor, const std::string& comment,
                    const std::vector<std::string>& allowedFrom = {}) = 0;
  /// In the order they happened.
  virtual Result<std::vector<ModelVersionEvent>> versionEvents(const std::string& group,
                                                               int64_t version) = 0;

  // --- integrity (mlpc verify) --------------------------------------------------------------
  /// Every reference to a stored object, read in one consistent snapshot.
  virtual Result<std::vector<ObjectUse>> objectUses() = 0;
  /// Checks the metadata itself: the schema is the one this build writes (version and every
  /// table and index), the database passes its own integrity check, and every reference between
  /// rows (execution → run, binding → artifact, version → run, …) has its target. An empty list
  /// means consistent; an error means the check could not run.
  virtual Result<std::vector<MetaProblem>> checkConsistency() = 0;
};

/// Backs a store::HashCache with a MetaStore's file hash table.
class MetaHashCacheBackend final : public store::HashCacheBackend {
public:
  explicit MetaHashCacheBackend(MetaStore& meta) : meta_(meta) {}
  Result<std::optional<store::HashCacheEntry>> load(const std::string& path) override {
    return meta_.lookupFileHash(path);
  }
  Status save(const std::vector<store::HashCacheEntry>& entries) override {
    return meta_.storeFileHashes(entries);
  }

private:
  MetaStore& meta_;
};

} // namespace mlpc::meta
