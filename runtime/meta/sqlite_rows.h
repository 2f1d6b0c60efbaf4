#pragma once
/// Internal to mlpc_meta: the column lists SqliteMetaStore selects and the readers that turn a
/// row into a record. Kept together so a SELECT and its reader cannot drift apart.
#include "meta/records.h"
#include "meta/sqlite_db.h"

#include <ctime>

namespace mlpc::meta::rows {

#define MLPC_RUN_COLUMNS                                                                           \
  "id, pipeline, entry, plan_hash, params_json, status, message, started_at, finished_at, "        \
  "host, pid, ran, cached, failed, skipped, reproduction_of"

/// A cache hit's row keeps none of the reused execution's text (schema version 9): its logs,
/// command, image and action are read from the execution it points at.
// clang-format off (it splits string literals inside a macro into pieces)
#define MLPC_EXEC_REUSED(col)                                                                      \
  "CASE WHEN e.cached_from IS NULL THEN e." col " ELSE coalesce((SELECT r." col                    \
  " FROM executions r WHERE r.id = e.cached_from), e." col ") END"

#define MLPC_EXEC_COLUMNS                                                                          \
  "e.id, e.run_id, e.node, e.step, e.cache_key, e.status, e.exit_code, e.attempts, "               \
  "e.started_at, e.finished_at, "                                                                  \
  MLPC_EXEC_REUSED("stdout_path") ", " MLPC_EXEC_REUSED("stderr_path") ", e.source, "              \
  MLPC_EXEC_REUSED("command") ", " MLPC_EXEC_REUSED("image") ", e.cached_from, "                   \
  MLPC_EXEC_REUSED("params_json") ", e.error, e.queued_at"
// clang-format on

/// The execution whose binding and code rows stand for execution ?1: the one it reused, if it
/// is a cache hit (SqliteMetaStore::insertComplete), else itself.
#define MLPC_ROWS_OF_EXECUTION                                                                     \
  "(SELECT coalesce(e.cached_from, e.id) FROM executions e WHERE e.id = ?1)"

#define MLPC_VERSION_COLUMNS                                                                       \
  "group_name, version, artifact_hash, run_id, execution_id, metrics_json, tags_json, status, "    \
  "created_at"

RunRecord readRun(const sqlite::Query& q);
ExecutionRecord readExecution(const sqlite::Query& q);
ModelVersion readVersion(const sqlite::Query& q);

/// Runs `q` and reads every row with `read`.
template <class T, class Read> Result<std::vector<T>> readAll(sqlite::Query& q, Read read) {
  std::vector<T> out;
  for (;;) {
    Result<bool> row = q.step();
    if (!row) return row.err();
    if (!*row) return out;
    out.push_back(read(q));
  }
}

/// The smallest string greater than every string starting with `prefix` (for index range scans
/// `x >= prefix AND x < prefixEnd`); `prefix` must be non-empty ASCII.
std::string prefixEnd(std::string prefix);

/// Unix time now, in seconds.
double now();

} // namespace mlpc::meta::rows
