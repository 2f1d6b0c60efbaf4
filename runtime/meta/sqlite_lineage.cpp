// Artifacts, lineage queries and metrics.
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace mlpc::meta {

Status SqliteMetaStore::recordArtifact(const ArtifactRecord& artifact) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  if (Status s = upsertArtifact(artifact); !s) return s;
  return txn->commit();
}

Result<std::optional<ArtifactRecord>> SqliteMetaStore::getArtifact(const std::string& hash) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT hash, kind, size, type, created_at FROM artifacts WHERE hash = ?1");
  if (!q) return q.err();
  Result<bool> row = q->bind(1, hash).step();
  if (!row) return row.err();
  if (!*row) return std::optional<ArtifactRecord>();
  return std::optional<ArtifactRecord>(ArtifactRecord{
      q->text(0), store::parseArtifactKind(q->text(1)).value_or(store::ArtifactKind::File),
      static_cast<uint64_t>(q->int64(2)), q->text(3), q->real(4)});
}

Result<std::string> SqliteMetaStore::resolveArtifact(const std::string& prefix) {
  std::string p = prefix;
  std::transform(p.begin(), p.end(), p.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (p.empty() || p.size() > 64 || !std::all_of(p.begin(), p.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      }))
    return fail(fmt::format("'{}' is not an artifact hash or hash prefix", prefix));
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT hash FROM artifacts WHERE hash >= ?1 AND hash < ?2 ORDER BY hash LIMIT 11");
  if (!q) return q.err();
  q->bindAll(p, rows::prefixEnd(p));
  Result<std::vector<std::string>> found =
      rows::readAll<std::string>(*q, [](const sqlite::Query& r) { return r.text(0); });
  if (!found) return found.err();
  if (found->empty()) return fail(fmt::format("no artifact matches '{}'", prefix));
  if (found->size() == 1) return std::move(found->front());
  std::string list;
  for (size_t i = 0; i < found->size() && i < 10; ++i)
    list += "\n  " + (*found)[i];
  if (found->size() > 10) list += "\n  ...";
  return fail(fmt::format("artifact prefix '{}' is ambiguous; it matches:{}", prefix, list));
}

Result<std::optional<ExecutionRecord>> SqliteMetaStore::producerOf(const std::string& hash) {
  std::lock_guard lock(mu_);
  // Cached executions re-use outputs; the producer is the execution that really made them.
  Result<sqlite::Query> q =
      db_.query("SELECT " MLPC_EXEC_COLUMNS " FROM execution_outputs o "
                "JOIN executions e ON e.id = o.execution_id WHERE o.artifact_hash = ?1 "
                "ORDER BY e.status = 'cached', e.id LIMIT 1");
  if (!q) return q.err();
  Result<bool> row = q->bind(1, hash).step();
  if (!row) return row.err();
  if (!*row) return std::optional<ExecutionRecord>();
  return std::optional<ExecutionRecord>(rows::readExecution(*q));
}

Result<std::vector<ExecutionRecord>> SqliteMetaStore::consumersOf(const std::string& hash) {
  std::lock_guard lock(mu_);
  // The executions that read the artifact, and the cache hits that reused one of them (a hit
  // has no input rows of its own). A hit recorded by a repeat of the run before it is reached
  // through the row it repeats (`repeat_of`), not through `executions_by_cached_from`, which
  // leaves it out (schema version 10); the rows a repeat names are hits or readers themselves.
  Result<sqlite::Query> q =
      db_.query("WITH RECURSIVE reached(id) AS ("
                "SELECT execution_id FROM execution_inputs WHERE artifact_hash = ?1 "
                "UNION SELECT h.id FROM reached r JOIN executions h "
                "ON h.cached_from = r.id AND h.repeat_of IS NULL "
                "UNION SELECT h.id FROM reached r JOIN executions h ON h.repeat_of = r.id) "
                "SELECT " MLPC_EXEC_COLUMNS " FROM reached JOIN executions e ON e.id = reached.id "
                "ORDER BY 1");
  if (!q) return q.err();
  q->bind(1, hash);
  return rows::readAll<ExecutionRecord>(*q, rows::readExecution);
}

Result<std::vector<Binding>> SqliteMetaStore::inputsOf(int64_t executionId) {
  std::lock_guard lock(mu_);
  return readBindings(false, executionId);
}

Result<std::vector<Binding>> SqliteMetaStore::outputsOf(int64_t executionId) {
  std::lock_guard lock(mu_);
  return readBindings(true, executionId);
}

Result<std::vector<CodeRef>> SqliteMetaStore::codeOf(int64_t executionId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT path, hash FROM execution_code WHERE execution_id = " MLPC_ROWS_OF_EXECUTION
                " ORDER BY path");
  if (!q) return q.err();
  q->bind(1, executionId);
  return rows::readAll<CodeRef>(*q, [](const sqlite::Query& r) {
    return CodeRef{r.text(0), r.text(1)};
  });
}

Result<std::vector<MetricRecord>> SqliteMetaStore::metricsOf(const std::string& runId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT m.run_id, m.execution_id, e.node, m.name, m.value FROM metrics m "
                "JOIN executions e ON e.id = m.execution_id WHERE m.run_id = ?1 "
                "ORDER BY m.execution_id, m.name");
  if (!q) return q.err();
  q->bind(1, runId);
  return rows::readAll<MetricRecord>(*q, [](const sqlite::Query& r) {
    return MetricRecord{r.text(0), r.int64(1), r.text(2), r.text(3), r.real(4)};
  });
}

} // namespace mlpc::meta
