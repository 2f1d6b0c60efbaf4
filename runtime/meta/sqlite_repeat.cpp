// A run that repeats the run before it: every execution recorded again as a cache hit, in one
// transaction, without a lookup per step (docs/speed.md). It records exactly the rows the
// lookups would, so it may only do so when it can show that from the earlier run's record.
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"

#include <future>
#include <system_error>
#include <vector>

namespace mlpc::meta {

namespace {

/// The earlier run if it can be repeated by `runId`: the newest other run, finished well, with
/// the same plan, pipeline, entry and parameters, neither of them a reproduction.
constexpr std::string_view kEarlierRun =
    "SELECT p.id, p.started_at, p.finished_at FROM runs r "
    "JOIN runs p ON p.id = (SELECT id FROM runs WHERE id != r.id "
    "                       ORDER BY started_at DESC, id DESC LIMIT 1) "
    "WHERE r.id = ?1 AND p.status = 'succeeded' AND p.failed = 0 AND p.skipped = 0 "
    "AND p.finished_at IS NOT NULL AND p.started_at <= r.started_at "
    "AND p.plan_hash = r.plan_hash AND p.pipeline = r.pipeline AND p.entry = r.entry "
    "AND p.params_json = r.params_json "
    "AND p.reproduction_of IS NULL AND r.reproduction_of IS NULL";

/// Another run that ran while the earlier one did: it could have recorded an execution a lookup
/// would now prefer to the one the earlier run reused.
constexpr std::string_view kOverlapping =
    "SELECT 1 FROM runs WHERE id != ?1 AND id != ?2 AND started_at < ?4 "
    "AND (finished_at IS NULL OR finished_at > ?3) LIMIT 1";

/// A code file recorded for one run and not, or with other bytes, for the other.
constexpr std::string_view kCodeDiffers =
    "SELECT 1 FROM (SELECT dir, path, hash FROM run_code WHERE run_id = ?1 "
    "EXCEPT SELECT dir, path, hash FROM run_code WHERE run_id = ?2) "
    "UNION ALL SELECT 1 FROM (SELECT dir, path, hash FROM run_code WHERE run_id = ?2 "
    "EXCEPT SELECT dir, path, hash FROM run_code WHERE run_id = ?1) LIMIT 1";

/// Each execution of the earlier run with the execution it ran or reused (its "source"), once
/// per output of the source (once with NULLs for a source without outputs).
constexpr std::string_view kExecutions =
    "SELECT e.id, e.node, e.step, e.source, e.status, e.cache_key, s.status, s.cache_key, s.id, "
    "b.artifact_hash, b.kind "
    "FROM executions e LEFT JOIN executions s ON s.id = COALESCE(e.cached_from, e.id) "
    "LEFT JOIN execution_outputs b ON b.execution_id = s.id "
    "WHERE e.run_id = ?1 ORDER BY e.id";

/// The hits, as Executor's useCached records them (sqlite_executions.cpp's insert): the row
/// points at the execution it reuses and keeps nothing else of it (schema version 9), and at the
/// row it repeats (`repeat_of`, schema version 10), which keeps it out of the scattered
/// `executions_by_cached_from`.
constexpr std::string_view kInsertHits =
    "INSERT INTO executions (run_id, node, step, cache_key, status, exit_code, attempts, "
    "started_at, finished_at, source, cached_from, repeat_of) "
    "SELECT ?1, node, step, cache_key, 'cached', 0, 0, ?3, ?3, source, COALESCE(cached_from, id), "
    "id FROM executions WHERE run_id = ?2 ORDER BY id";

/// A hit of a step with metrics records them as the run's (read from its output then; the same
/// bytes now).
constexpr std::string_view kCopyMetrics =
    "INSERT INTO metrics (run_id, execution_id, name, value) "
    "SELECT ?1, n.id, m.name, m.value FROM executions o "
    "JOIN metrics m ON m.execution_id = o.id "
    "JOIN executions n ON n.run_id = ?1 AND n.node = o.node WHERE o.run_id = ?2";

} // namespace

Result<std::optional<RepeatedRun>> SqliteMetaStore::repeatLastRun(const RepeatQuery& query) {
  using Answer = std::optional<RepeatedRun>;
  std::lock_guard lock(mu_);
  // A write transaction from the first read: nothing another process records can come between
  // the checks and the rows they allow.
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();

  RepeatedRun out;
  {
    Result<sqlite::Query> q = db_.query(kEarlierRun);
    if (!q) return q.err();
    Result<bool> row = q->bind(1, query.runId).step();
    if (!row) return row.err();
    if (!*row) return Answer();
    out.from = q->text(0);
    double started = q->real(1), finished = q->real(2);
    Result<sqlite::Query> o = db_.query(kOverlapping);
    if (!o) return o.err();
    Result<bool> overlap = o->bindAll(query.runId, out.from, started, finished).step();
    if (!overlap) return overlap.err();
    if (*overlap) return Answer();
  }
  {
    Result<sqlite::Query> q = db_.query(kCodeDiffers);
    if (!q) return q.err();
    Result<bool> differs = q->bindAll(query.runId, out.from).step();
    if (!differs) return differs.err();
    if (*differs) return Answer();
  }
  if (query.sameInputs && !query.sameInputs(out.from)) return Answer();

  // The outputs to look for, checked on another thread while the hits are inserted: the
  // transaction is committed only if every one is still stored.
  std::vector<ArtifactRecord> outputs;
  {
    Result<sqlite::Query> q = db_.query(kExecutions);
    if (!q) return q.err();
    q->bind(1, out.from);
    int64_t firstSource = 0, last = 0;
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.err();
      if (!*row) break;
      if (int64_t id = q->int64(0); id != last) {
        last = id;
        std::string status = q->text(4), key = q->text(5);
        // Anything but a step that ran or was reused (a failure, a skip) would be decided
        // again; a source that is gone, no longer succeeded, or was made for another action
        // would not be what a lookup finds.
        if ((status != "succeeded" && status != "cached") || key.empty() || q->isNull(8) ||
            q->text(6) != "succeeded" || q->text(7) != key)
          return Answer();
        if (!firstSource) firstSource = q->int64(8);
        out.executions.push_back({q->text(1), q->text(2), q->text(3)});
      }
      if (!q->isNull(9))
        outputs.push_back(
            {q->text(9), store::parseArtifactKind(q->text(10)).value_or(store::ArtifactKind::File),
             0, "", 0});
    }
    if (out.executions.empty()) return Answer();
    // Every key hashes the version of mlpc that made it, and each source's key is its row's: so
    // all of them carry the earlier run's version, and one tells it.
    Result<sqlite::Query> v =
        db_.query("SELECT json_extract(params_json, '$.mlpc') FROM executions WHERE id = ?1");
    if (!v) return v.err();
    Result<bool> vr = v->bind(1, firstSource).step();
    if (!vr) return vr.err();
    if (!*vr || v->isNull(0) || v->text(0) != query.mlpcVersion) return Answer();
  }
  // A lookup ignores a binding without an artifact row; this checks its object too, which can
  // only send the run the slower way, never record a hit a lookup would not.
  auto check = [&query, &outputs] {
    for (const ArtifactRecord& a : outputs)
      if (query.outputExists && !query.outputExists(a)) return false;
    return true;
  };
  // Declared after `outputs`, so destroyed first: an async future's destructor waits for its
  // thread, on every return below.
  std::future<bool> stored;
  try {
    stored = std::async(std::launch::async, check);
  } catch (const std::system_error&) { // no thread to be had: check them at the end
    stored = std::async(std::launch::deferred, check);
  }

  double now = query.now > 0 ? query.now : rows::now();
  if (Status s = db_.run(kInsertHits, query.runId, out.from, now); !s) return s.err();
  {
    Result<sqlite::Query> q = db_.query("SELECT 1 FROM metrics WHERE run_id = ?1 LIMIT 1");
    if (!q) return q.err();
    Result<bool> any = q->bind(1, out.from).step();
    if (!any) return any.err();
    if (*any)
      if (Status s = db_.run(kCopyMetrics, query.runId, out.from); !s) return s.err();
  }
  if (!stored.get()) return Answer();
  if (Status s = txn->commit(); !s) return s.err();
  return Answer(std::move(out));
}

} // namespace mlpc::meta
