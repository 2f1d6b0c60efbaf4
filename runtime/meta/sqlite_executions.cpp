// Executions, their inputs/outputs/code/metrics, and the cache lookup.
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"
#include "store/sha256.h"

#include <fmt/format.h>

namespace mlpc::meta {

Status SqliteMetaStore::upsertArtifact(const ArtifactRecord& a) {
  if (!store::isSha256Hex(a.hash))
    return fail(fmt::format("'{}' is not an artifact hash (64 lower-case hex characters)", a.hash));
  // Artifacts are immutable facts about bytes; only a missing type may be filled in later.
  return db_.run("INSERT INTO artifacts (hash, kind, size, type, created_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT (hash) DO UPDATE SET type = excluded.type "
                 "WHERE artifacts.type = '' AND excluded.type <> ''",
                 a.hash, store::toString(a.kind), a.size, a.type,
                 a.createdAt > 0 ? a.createdAt : rows::now());
}

namespace {

constexpr std::string_view kExecInsert =
    "INSERT INTO executions (run_id, node, step, cache_key, status, exit_code, attempts, "
    "started_at, finished_at, stdout_path, stderr_path, source, command, image, cached_from, "
    "params_json, error, queued_at) VALUES ";
constexpr int kExecParams = 18;
/// Rows per statement when many go in at once (insertRows).
constexpr int kRowsPerInsert = 64;

/// Binds an execution's columns, in kExecInsert's order, to parameters base+1 ... base+18.
void bindExecution(sqlite::Query& q, int base, const ExecutionRecord& e) {
  q.bind(base + 1, e.runId)
      .bind(base + 2, e.node)
      .bind(base + 3, e.step)
      .bind(base + 4, e.cacheKey)
      .bind(base + 5, toString(e.status))
      .bind(base + 6, e.exitCode)
      .bind(base + 7, e.attempts)
      .bind(base + 8, e.startedAt > 0 ? e.startedAt : rows::now())
      .bind(base + 9, e.finishedAt)
      .bind(base + 10, e.stdoutPath)
      .bind(base + 11, e.stderrPath)
      .bind(base + 12, e.source)
      .bind(base + 13, e.command)
      .bind(base + 14, e.image)
      .bind(base + 15, e.cachedFrom)
      .bind(base + 16, e.paramsJson)
      .bind(base + 17, e.error)
      .bind(base + 18, e.queuedAt);
}

/// "(?1, ..., ?18), (?19, ...)" for `rows` rows.
std::string valueTuples(int rows) {
  std::string out;
  for (int r = 0; r < rows; ++r) {
    out += r ? ", (" : "(";
    for (int c = 1; c <= kExecParams; ++c)
      out += fmt::format("{}?{}", c > 1 ? ", " : "", r * kExecParams + c);
    out += ')';
  }
  return out;
}

/// True when `io` adds no rows of its own to an execution: a cache hit without metrics (its
/// bindings and code are the reused execution's) or a step that never started.
bool rowOnly(const ExecutionRecord& exec, const ExecutionIo& io) {
  if (!io.metrics.empty()) return false;
  return exec.cachedFrom || (io.inputs.empty() && io.outputs.empty() && io.code.empty());
}

} // namespace

Result<int64_t> SqliteMetaStore::insertExecution(const ExecutionRecord& e) {
  static const std::string sql = std::string(kExecInsert) + valueTuples(1);
  Result<sqlite::Query> q = db_.query(sql);
  if (!q) return q.err();
  bindExecution(*q, 0, e);
  if (Status s = q->run(); !s)
    return fail(fmt::format("recording execution of '{}': {}", e.node, s.error()));
  return db_.lastInsertRowid();
}

Status SqliteMetaStore::insertRows(std::span<const ExecutionRecord* const> rows) {
  // Sixty-four rows a statement: each run of the INSERT builds a temporary table for the CHECK
  // on `status` (SQLite's code for `IN (...)`); one row a statement, that was about two fifths of
  // the time a fully cached re-run spent inserting its hits (docs/speed.md).
  static const std::string full = std::string(kExecInsert) + valueTuples(kRowsPerInsert);
  size_t i = 0;
  for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
    Result<sqlite::Query> q = db_.query(full);
    if (!q) return q.err();
    for (int r = 0; r < kRowsPerInsert; ++r)
      bindExecution(*q, r * kExecParams, *rows[i + static_cast<size_t>(r)]);
    if (Status s = q->run(); !s)
      return fail(fmt::format("recording the executions of '{}' to '{}': {}", rows[i]->node,
                              rows[i + kRowsPerInsert - 1]->node, s.error()));
  }
  for (; i < rows.size(); ++i)
    if (Result<int64_t> id = insertExecution(*rows[i]); !id) return id.err();
  return {};
}

Status SqliteMetaStore::insertBindings(bool outputs, int64_t executionId,
                                       const std::vector<Binding>& bindings,
                                       bool artifactsRecorded) {
  for (const Binding& b : bindings) {
    if (!artifactsRecorded)
      if (Status s = upsertArtifact(b.artifact); !s) return s;
    Status s = db_.run(outputs ? "INSERT INTO execution_outputs (execution_id, name, "
                                 "artifact_hash, kind) VALUES (?1, ?2, ?3, ?4)"
                               : "INSERT INTO execution_inputs (execution_id, name, "
                                 "artifact_hash, kind) VALUES (?1, ?2, ?3, ?4)",
                       executionId, b.name, b.artifact.hash, store::toString(b.artifact.kind));
    if (!s)
      return fail(
          fmt::format("recording {} '{}': {}", outputs ? "output" : "input", b.name, s.error()));
  }
  return {};
}

Status SqliteMetaStore::insertCode(int64_t executionId, const std::vector<CodeRef>& code) {
  for (const CodeRef& c : code)
    if (Status s = db_.run("INSERT INTO execution_code (execution_id, path, hash) "
                           "VALUES (?1, ?2, ?3)",
                           executionId, c.path, c.hash);
        !s)
      return s;
  return {};
}

Status SqliteMetaStore::insertMetrics(const std::string& runId, int64_t executionId,
                                      const std::vector<Metric>& metrics) {
  for (const Metric& m : metrics)
    if (Status s = db_.run("INSERT INTO metrics (run_id, execution_id, name, value) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           runId, executionId, m.name, m.value);
        !s)
      return fail(fmt::format("recording metric '{}': {}", m.name, s.error()));
  return {};
}

Result<int64_t> SqliteMetaStore::startExecution(const ExecutionRecord& exec,
                                                const std::vector<Binding>& inputs,
                                                const std::vector<CodeRef>& code) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  Result<int64_t> id = insertExecution(exec);
  if (!id) return id;
  if (Status s = insertBindings(false, *id, inputs); !s) return s.err();
  if (Status s = insertCode(*id, code); !s) return s.err();
  if (Status s = txn->commit(); !s) return s.err();
  return id;
}

Status SqliteMetaStore::finishExecution(const ExecutionFinish& f) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  // SET expressions read the row as it was, so queued_at takes the old started_at.
  if (Status s = db_.run("UPDATE executions SET status = ?2, exit_code = ?3, attempts = ?4, "
                         "finished_at = ?5, error = ?6, "
                         "queued_at = CASE WHEN ?7 IS NULL THEN queued_at ELSE started_at END, "
                         "started_at = COALESCE(?7, started_at) WHERE id = ?1",
                         f.id, toString(f.status), f.exitCode, f.attempts,
                         f.finishedAt > 0 ? f.finishedAt : rows::now(), f.error, f.launchedAt);
      !s)
    return s;
  if (db_.changes() == 0) return fail(fmt::format("no execution with id {}", f.id));
  if (Status s = insertBindings(true, f.id, f.outputs); !s) return s;
  if (!f.metrics.empty()) {
    Result<std::optional<ExecutionRecord>> e = getExecutionLocked(f.id);
    if (!e) return e.err();
    if (Status s = insertMetrics((*e)->runId, f.id, f.metrics); !s) return s;
  }
  return txn->commit();
}

Result<int64_t> SqliteMetaStore::insertComplete(const ExecutionRecord& exec, const ExecutionIo& io,
                                                bool artifactsRecorded) {
  Result<int64_t> id = insertExecution(exec);
  if (!id) return id;
  // An execution that reused another's outputs ran the same action: its inputs, outputs and code
  // are the reused execution's, and readers follow `cached_from` to them (schema version 8). Its
  // metrics stay its own rows, since they belong to its run.
  if (exec.cachedFrom) {
    if (Status s = insertMetrics(exec.runId, *id, io.metrics); !s) return s.err();
    return id;
  }
  if (Status s = insertBindings(false, *id, io.inputs, artifactsRecorded); !s) return s.err();
  if (Status s = insertBindings(true, *id, io.outputs, artifactsRecorded); !s) return s.err();
  if (Status s = insertCode(*id, io.code); !s) return s.err();
  if (Status s = insertMetrics(exec.runId, *id, io.metrics); !s) return s.err();
  return id;
}

Result<int64_t> SqliteMetaStore::recordExecution(const ExecutionRecord& exec,
                                                 const ExecutionIo& io) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  Result<int64_t> id = insertComplete(exec, io);
  if (!id) return id;
  if (Status s = txn->commit(); !s) return s.err();
  return id;
}

Status
SqliteMetaStore::recordExecutions(const std::vector<std::pair<ExecutionRecord, ExecutionIo>>& all) {
  if (all.empty()) return Status();
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  // These are cache hits and skipped steps. A hit is one row that points at the execution it
  // reuses (insertComplete). A skipped step's inputs are artifacts recorded already, so its
  // bindings go in without the artifact upserts; a binding to an artifact that is not recorded
  // still fails, on its foreign key, and so does the call.
  // Runs of rows that need nothing but their row go in many to a statement, in order.
  std::vector<const ExecutionRecord*> pending;
  pending.reserve(all.size());
  auto flushPending = [&]() -> Status {
    Status s = insertRows(pending);
    pending.clear();
    return s;
  };
  for (const auto& [exec, io] : all) {
    if (rowOnly(exec, io)) {
      pending.push_back(&exec);
      continue;
    }
    if (Status s = flushPending(); !s) return s;
    if (Result<int64_t> id = insertComplete(exec, io, /*artifactsRecorded=*/true); !id)
      return id.err();
  }
  if (Status s = flushPending(); !s) return s;
  return txn->commit();
}

Result<std::optional<ExecutionRecord>> SqliteMetaStore::getExecutionLocked(int64_t id) {
  Result<sqlite::Query> q =
      db_.query("SELECT " MLPC_EXEC_COLUMNS " FROM executions e WHERE e.id = ?1");
  if (!q) return q.err();
  Result<bool> row = q->bind(1, id).step();
  if (!row) return row.err();
  if (!*row) return std::optional<ExecutionRecord>();
  return std::optional<ExecutionRecord>(rows::readExecution(*q));
}

Result<ExecutionRecord> SqliteMetaStore::getExecution(int64_t id) {
  std::lock_guard lock(mu_);
  Result<std::optional<ExecutionRecord>> e = getExecutionLocked(id);
  if (!e) return e.err();
  if (!e->has_value()) return fail(fmt::format("no execution with id {}", id));
  return std::move(**e);
}

Result<std::vector<ExecutionRecord>> SqliteMetaStore::executionsOf(const std::string& runId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT " MLPC_EXEC_COLUMNS " FROM executions e WHERE e.run_id = ?1 ORDER BY e.id");
  if (!q) return q.err();
  q->bind(1, runId);
  return rows::readAll<ExecutionRecord>(*q, rows::readExecution);
}

Result<std::vector<Binding>> SqliteMetaStore::readBindings(bool outputs, int64_t executionId) {
  Result<sqlite::Query> q =
      db_.query(outputs ? "SELECT b.name, b.artifact_hash, b.kind, a.size, a.type, a.created_at "
                          "FROM execution_outputs b JOIN artifacts a ON a.hash = b.artifact_hash "
                          "WHERE b.execution_id = " MLPC_ROWS_OF_EXECUTION " ORDER BY b.name"
                        : "SELECT b.name, b.artifact_hash, b.kind, a.size, a.type, a.created_at "
                          "FROM execution_inputs b JOIN artifacts a ON a.hash = b.artifact_hash "
                          "WHERE b.execution_id = " MLPC_ROWS_OF_EXECUTION " ORDER BY b.name");
  if (!q) return q.err();
  q->bind(1, executionId);
  return rows::readAll<Binding>(*q, [](const sqlite::Query& r) {
    ArtifactRecord a{r.text(1),
                     store::parseArtifactKind(r.text(2)).value_or(store::ArtifactKind::File),
                     static_cast<uint64_t>(r.int64(3)), r.text(4), r.real(5)};
    return Binding{r.text(0), std::move(a)};
  });
}

Status SqliteMetaStore::holdLookups(bool on) {
  std::lock_guard lock(mu_);
  holdLookups_ = on;
  return on ? Status() : db_.releaseSnapshot();
}

Status SqliteMetaStore::beginBatch() {
  std::lock_guard lock(mu_);
  return db_.beginBatch();
}

Status SqliteMetaStore::endBatch() {
  std::lock_guard lock(mu_);
  return db_.endBatch();
}

Result<std::optional<CacheHit>> SqliteMetaStore::lookupCache(const CacheQuery& query) {
  std::lock_guard lock(mu_);
  if (holdLookups_)
    if (Status s = db_.holdSnapshot(); !s) return s.err();
  double now = query.now > 0 ? query.now : rows::now();
  double oldest = query.maxAgeSeconds ? now - *query.maxAgeSeconds : -1e300;
  // One statement, so one snapshot: a candidate's outputs are read as of the same moment as the
  // candidate, without a BEGIN/COMMIT and a second query per lookup (a fully cached re-run makes
  // one lookup per step). Rows come candidate by candidate, newest first, each with its outputs
  // by name; a candidate without outputs has one row of NULLs. The literal status matches the
  // partial index executions_by_cache_key, which holds every executions column read here, so
  // the table's own rows (with each step's whole action) are not read at all (schema version 9).
  Result<sqlite::Query> q =
      db_.query("SELECT e.id, e.run_id, b.name, b.artifact_hash, b.kind, a.size, a.type, "
                "a.created_at FROM executions e "
                "LEFT JOIN execution_outputs b ON b.execution_id = e.id "
                "LEFT JOIN artifacts a ON a.hash = b.artifact_hash "
                "WHERE e.cache_key = ?1 AND e.status = 'succeeded' AND e.finished_at >= ?2 "
                "ORDER BY e.finished_at DESC, e.id DESC, b.name");
  if (!q) return q.err();
  q->bindAll(query.cacheKey, oldest);
  constexpr int kB = 2; // the first column of the output binding
  std::optional<CacheHit> current;
  bool complete = true;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.err();
    int64_t id = *row ? q->int64(0) : 0;
    if (current && (!*row || current->executionId != id)) {
      if (complete) return current;
      current.reset(); // e.g. an output was garbage-collected: try an older execution
    }
    if (!*row) return std::optional<CacheHit>();
    if (!current) {
      current.emplace(CacheHit{id, q->text(1), {}});
      complete = true;
    }
    if (q->isNull(kB) || q->isNull(kB + 3)) continue; // no outputs (or a dangling binding)
    ArtifactRecord a{q->text(kB + 1),
                     store::parseArtifactKind(q->text(kB + 2)).value_or(store::ArtifactKind::File),
                     static_cast<uint64_t>(q->int64(kB + 3)), q->text(kB + 4), q->real(kB + 5)};
    if (complete && query.outputExists && !query.outputExists(a)) complete = false;
    current->outputs.push_back(Binding{q->text(kB), std::move(a)});
  }
}

} // namespace mlpc::meta
