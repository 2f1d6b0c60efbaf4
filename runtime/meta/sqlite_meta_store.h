#pragma once
/// MetaStore over SQLite: `<workspace>/meta.db` in WAL mode (readers never block the writer),
/// synchronous=NORMAL (a power cut may lose the last commits but never corrupts), foreign keys
/// on, and a 30 s busy timeout. Every write is one BEGIN IMMEDIATE transaction (or a savepoint
/// of a batch: beginBatch), so several `mlpc run` processes in one workspace queue for the
/// write lock instead of failing.
///
/// Thread-safe: calls are serialised on one connection (SQLite writes are serialised anyway).
/// A connection must not cross fork(); open a new store in the child.
#include "meta/meta_store.h"
#include "meta/sqlite_db.h"

#include <memory>
#include <mutex>
#include <span>

namespace mlpc::meta {

class SqliteMetaStore final : public MetaStore {
public:
  static constexpr int kBusyTimeoutMs = 30'000;

  /// Opens (creating) `<workspaceDir>/meta.db` and migrates it to the latest schema.
  static Result<std::unique_ptr<SqliteMetaStore>> open(const std::string& workspaceDir);
  /// Same for an explicit database file.
  static Result<std::unique_ptr<SqliteMetaStore>> openFile(const std::string& dbPath);
  /// Opens `<workspaceDir>/meta.db` as it is, for checking it (`mlpc verify` must not change
  /// what it checks): schemaVersion() is the stored version (0 when there is none), which may
  /// differ from this build's; only the integrity calls are meaningful then.
  static Result<std::unique_ptr<SqliteMetaStore>>
  openWithoutMigrating(const std::string& workspaceDir);

  int schemaVersion() const { return schemaVersion_; }
  const std::string& path() const { return db_.path(); }

  Result<RunRecord> createRun(const NewRun& run) override;
  Status finishRun(const std::string& id, RunStatus status, const std::string& message,
                   const RunCounts& counts) override;
  Result<RunRecord> getRun(const std::string& idOrPrefix) override;
  Result<std::vector<RunRecord>> listRuns(const RunFilter& filter) override;
  Result<std::vector<Param>> paramsOf(const std::string& runId) override;
  Result<std::vector<std::string>> markStaleRunsInterrupted() override;
  Status recordRunCode(const std::string& runId, const std::vector<RunCodeFile>& files) override;
  Result<std::vector<RunCodeFile>> runCodeOf(const std::string& runId) override;

  Result<int64_t> startExecution(const ExecutionRecord& exec, const std::vector<Binding>& inputs,
                                 const std::vector<CodeRef>& code) override;
  Status finishExecution(const ExecutionFinish& finish) override;
  Result<int64_t> recordExecution(const ExecutionRecord& exec, const ExecutionIo& io) override;
  Status recordExecutions(const std::vector<std::pair<ExecutionRecord, ExecutionIo>>& all) override;
  Result<ExecutionRecord> getExecution(int64_t id) override;
  Result<std::vector<ExecutionRecord>> executionsOf(const std::string& runId) override;

  /// `query.outputExists` runs while the store's lock is held: it must not call back into
  /// this store.
  Result<std::optional<CacheHit>> lookupCache(const CacheQuery& query) override;
  Status holdLookups(bool on) override;
  Status beginBatch() override;
  Status endBatch() override;
  /// The callbacks run while the store's lock is held: they must not call back into it.
  Result<std::optional<RepeatedRun>> repeatLastRun(const RepeatQuery& query) override;

  Status recordArtifact(const ArtifactRecord& artifact) override;
  Result<std::optional<ArtifactRecord>> getArtifact(const std::string& hash) override;
  Result<std::string> resolveArtifact(const std::string& prefix) override;
  Result<std::optional<ExecutionRecord>> producerOf(const std::string& hash) override;
  Result<std::vector<ExecutionRecord>> consumersOf(const std::string& hash) override;
  Result<std::vector<Binding>> inputsOf(int64_t executionId) override;
  Result<std::vector<Binding>> outputsOf(int64_t executionId) override;
  Result<std::vector<CodeRef>> codeOf(int64_t executionId) override;

  Result<std::vector<MetricRecord>> metricsOf(const std::string& runId) override;

  Result<std::optional<store::HashCacheEntry>> lookupFileHash(const std::string& path) override;
  Status storeFileHashes(const std::vector<store::HashCacheEntry>& entries) override;

  Result<ModelVersion> registerVersion(const NewModelVersion& version) override;
  Result<ModelVersion> getVersion(const std::string& group, int64_t version) override;
  Result<std::vector<ModelVersion>> listVersions(const std::string& group) override;
  Result<std::vector<std::string>> modelGroups() override;
  Result<ModelVersion> transitionVersion(const std::string& group, int64_t version,
                                         const std::string& toStatus, const std::string& actor,
                                         const std::string& comment,
                                         const std::vector<std::string>& allowedFrom = {}) override;
  Result<std::vector<ModelVersionEvent>> versionEvents(const std::string& group,
                                                       int64_t version) override;

  Result<std::vector<ObjectUse>> objectUses() override;
  Result<std::vector<MetaProblem>> checkConsistency() override;

private:
  static Result<std::unique_ptr<SqliteMetaStore>> openFile(const std::string& dbPath,
                                                           bool migrateSchema);
  SqliteMetaStore(sqlite::Db db, int schemaVersion)
      : db_(std::move(db)), schemaVersion_(schemaVersion) {}

  // Helpers run inside a caller's transaction, with mu_ held.
  Result<RunRecord> getRunLocked(const std::string& idOrPrefix);
  Status upsertArtifact(const ArtifactRecord& artifact);
  /// An execution with everything in `io`, inside the caller's transaction.
  /// `artifactsRecorded`: every artifact `io` names is in `artifacts` already (a cache hit's are
  /// those of the execution it reuses), so only the bindings are written.
  Result<int64_t> insertComplete(const ExecutionRecord& exec, const ExecutionIo& io,
                                 bool artifactsRecorded = false);
  Result<int64_t> insertExecution(const ExecutionRecord& exec);
  /// Inserts the rows alone (no bindings, code or metrics), in order.
  Status insertRows(std::span<const ExecutionRecord* const> rows);
  /// Upserts each binding's artifact first, unless `artifactsRecorded`; a binding to an artifact
  /// that is not recorded fails on its foreign key.
  Status insertBindings(bool outputs, int64_t executionId, const std::vector<Binding>& bindings,
                        bool artifactsRecorded = false);
  Status insertCode(int64_t executionId, const std::vector<CodeRef>& code);
  Status insertMetrics(const std::string& runId, int64_t executionId,
                       const std::vector<Metric>& metrics);
  Result<std::vector<Binding>> readBindings(bool outputs, int64_t executionId);
  Result<std::optional<ExecutionRecord>> getExecutionLocked(int64_t id);
  Result<ModelVersion> getVersionLocked(const std::string& group, int64_t version);

  std::mutex mu_;
  sqlite::Db db_;
  bool holdLookups_ = false; ///< see holdLookups
  int schemaVersion_;
};

} // namespace mlpc::meta
