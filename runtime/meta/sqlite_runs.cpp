// Runs and their parameters.
#include "meta/process.h"
#include "meta/run_id.h"
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"
#include "store/sha256.h"

#include <unistd.h>

#include <fmt/format.h>

namespace mlpc::meta {

Result<RunRecord> SqliteMetaStore::createRun(const NewRun& run) {
  std::lock_guard lock(mu_);
  RunRecord r;
  r.pipeline = run.pipeline;
  r.entry = run.entry;
  r.planHash = run.planHash;
  r.paramsJson = run.paramsJson;
  r.startedAt = run.startedAt > 0 ? run.startedAt : rows::now();
  r.host = hostName();
  r.pid = run.pid > 0 ? run.pid : static_cast<int64_t>(::getpid());
  r.reproductionOf = run.reproductionOf;
  int64_t pidStart = processStartTime(r.pid);

  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  // Ids carry one second of resolution and 16 random bits, so runs started in the same second
  // can collide; we hold the write lock, so check-then-insert is race-free.
  for (int attempt = 0;; ++attempt) {
    r.id = makeRunId(r.startedAt, randomRunSuffix());
    Result<sqlite::Query> q = db_.query("SELECT 1 FROM runs WHERE id = ?1");
    if (!q) return q.err();
    Result<bool> taken = q->bind(1, r.id).step();
    if (!taken) return taken.err();
    if (!*taken) break;
    if (attempt == 1000) return fail("cannot allocate a unique run id");
  }
  if (Status s = db_.run("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                         "started_at, host, pid, pid_start, reproduction_of) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8, ?9, NULLIF(?10, ''))",
                         r.id, r.pipeline, r.entry, r.planHash, r.paramsJson, r.startedAt, r.host,
                         r.pid, pidStart, r.reproductionOf);
      !s)
    return s.err();
  for (const Param& p : run.params)
    if (Status s = db_.run("INSERT INTO run_params (run_id, name, value_json) VALUES (?1, ?2, ?3)",
                           r.id, p.name, p.valueJson);
        !s)
      return s.err();
  if (Status s = txn->commit(); !s) return s.err();
  return r;
}

Status SqliteMetaStore::finishRun(const std::string& id, RunStatus status,
                                  const std::string& message, const RunCounts& counts) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  if (Status s = db_.run("UPDATE runs SET status = ?2, message = ?3, finished_at = ?4, ran = ?5, "
                         "cached = ?6, failed = ?7, skipped = ?8 WHERE id = ?1",
                         id, toString(status), message, rows::now(), counts.ran, counts.cached,
                         counts.failed, counts.skipped);
      !s)
    return s;
  if (db_.changes() == 0) return fail(fmt::format("no run with id '{}'", id));
  return txn->commit();
}

Result<RunRecord> SqliteMetaStore::getRunLocked(const std::string& idOrPrefix) {
  if (idOrPrefix.empty()) return fail("empty run id");
  {
    Result<sqlite::Query> q = db_.query("SELECT " MLPC_RUN_COLUMNS " FROM runs WHERE id = ?1");
    if (!q) return q.err();
    Result<bool> row = q->bind(1, idOrPrefix).step();
    if (!row) return row.err();
    if (*row) return rows::readRun(*q);
  }
  // A range scan on the primary key finds every id starting with the prefix.
  Result<sqlite::Query> q = db_.query("SELECT " MLPC_RUN_COLUMNS " FROM runs WHERE id >= ?1 AND "
                                      "id < ?2 ORDER BY id LIMIT 11");
  if (!q) return q.err();
  q->bindAll(idOrPrefix, rows::prefixEnd(idOrPrefix));
  Result<std::vector<RunRecord>> found = rows::readAll<RunRecord>(*q, rows::readRun);
  if (!found) return found.err();
  if (found->empty()) return fail(fmt::format("no run matches '{}'", idOrPrefix));
  if (found->size() == 1) return std::move(found->front());
  std::string list;
  for (size_t i = 0; i < found->size() && i < 10; ++i)
    list += "\n  " + (*found)[i].id;
  if (found->size() > 10) list += "\n  ...";
  return fail(fmt::format("run id prefix '{}' is ambiguous; it matches:{}", idOrPrefix, list));
}

Result<RunRecord> SqliteMetaStore::getRun(const std::string& idOrPrefix) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::read(db_);
  if (!txn) return txn.err();
  return getRunLocked(idOrPrefix);
}

Result<std::vector<RunRecord>> SqliteMetaStore::listRuns(const RunFilter& filter) {
  std::lock_guard lock(mu_);
  int64_t limit = filter.limit > 0 ? filter.limit : -1; // SQLite: LIMIT -1 is no limit
  // Two statements rather than `?1 = '' OR pipeline = ?1`, so the filtered one uses its index.
  Result<sqlite::Query> q =
      filter.pipeline.empty()
          ? db_.query("SELECT " MLPC_RUN_COLUMNS " FROM runs "
                      "ORDER BY started_at DESC, id DESC LIMIT ?1")
          : db_.query("SELECT " MLPC_RUN_COLUMNS " FROM runs WHERE pipeline = ?2 "
                      "ORDER BY started_at DESC, id DESC LIMIT ?1");
  if (!q) return q.err();
  q->bind(1, limit);
  if (!filter.pipeline.empty()) q->bind(2, filter.pipeline);
  return rows::readAll<RunRecord>(*q, rows::readRun);
}

Result<std::vector<Param>> SqliteMetaStore::paramsOf(const std::string& runId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT name, value_json FROM run_params WHERE run_id = ?1 ORDER BY name");
  if (!q) return q.err();
  q->bind(1, runId);
  return rows::readAll<Param>(*q, [](const sqlite::Query& r) {
    return Param{r.text(0), r.text(1)};
  });
}

Result<std::vector<std::string>> SqliteMetaStore::markStaleRunsInterrupted() {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  struct Candidate {
    std::string id;
    int64_t pid;
    int64_t pidStart;
  };
  Result<std::vector<Candidate>> running = [&]() -> Result<std::vector<Candidate>> {
    // Runs of other hosts are left alone: their processes cannot be checked from here.
    Result<sqlite::Query> q =
        db_.query("SELECT id, pid, pid_start FROM runs WHERE status = 'running' AND host = ?1");
    if (!q) return q.err();
    q->bind(1, hostName());
    return rows::readAll<Candidate>(*q, [](const sqlite::Query& r) {
      return Candidate{r.text(0), r.int64(1), r.int64(2)};
    });
  }();
  if (!running) return running.err();
  std::vector<std::string> marked;
  double at = rows::now();
  for (const Candidate& c : *running) {
    if (processAlive(c.pid, c.pidStart)) continue;
    std::string message = fmt::format("process {} exited without finishing the run", c.pid);
    if (Status s = db_.run("UPDATE runs SET status = 'interrupted', message = ?2, "
                           "finished_at = ?3 WHERE id = ?1",
                           c.id, message, at);
        !s)
      return s.err();
    if (Status s = db_.run("UPDATE executions SET status = 'cancelled', finished_at = ?2, "
                           "error = 'the run was interrupted' "
                           "WHERE run_id = ?1 AND status = 'running'",
                           c.id, at);
        !s)
      return s.err();
    marked.push_back(c.id);
  }
  if (Status s = txn->commit(); !s) return s.err();
  return marked;
}

Status SqliteMetaStore::recordRunCode(const std::string& runId,
                                      const std::vector<RunCodeFile>& files) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  for (const RunCodeFile& f : files) {
    if (f.hash && !store::isSha256Hex(*f.hash))
      return fail(fmt::format("code file '{}': '{}' is not a hash", f.path, *f.hash));
    if (Status s = db_.run("INSERT INTO run_code (run_id, dir, path, hash) VALUES (?1, ?2, ?3, ?4) "
                           "ON CONFLICT (run_id, dir, path) DO UPDATE SET hash = excluded.hash",
                           runId, f.dir, f.path, f.hash);
        !s)
      return fail(fmt::format("recording code file '{}' of run {}: {}", f.path, runId, s.error()));
  }
  return txn->commit();
}

Result<std::vector<RunCodeFile>> SqliteMetaStore::runCodeOf(const std::string& runId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT dir, path, hash FROM run_code WHERE run_id = ?1 ORDER BY dir, path");
  if (!q) return q.err();
  q->bind(1, runId);
  return rows::readAll<RunCodeFile>(*q, [](const sqlite::Query& r) {
    RunCodeFile f{r.text(0), r.text(1), std::nullopt};
    if (!r.isNull(2)) f.hash = r.text(2);
    return f;
  });
}

} // namespace mlpc::meta
