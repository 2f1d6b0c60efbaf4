// What `mlpc verify` reads from meta.db: every reference to a stored object, and the checks of
// the metadata itself (schema, SQLite integrity, references between rows).
#include "meta/migrations.h"
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"

#include <functional>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace mlpc::meta {

std::string_view toString(ObjectUse::Role role) {
  switch (role) {
  case ObjectUse::Role::Output:
    return "output";
  case ObjectUse::Role::Input:
    return "input";
  case ObjectUse::Role::ModelVersion:
    return "model_version";
  case ObjectUse::Role::Code:
    return "code";
  case ObjectUse::Role::RunCode:
    return "run_code";
  case ObjectUse::Role::Artifact:
    return "artifact";
  case ObjectUse::Role::Baseline:
    return "baseline";
  }
  return "artifact";
}

std::string describe(const ObjectUse& use) {
  std::string where = use.runId.empty() ? fmt::format("execution {}", use.executionId)
                                        : fmt::format("step `{}` in run {}{}", use.node, use.runId,
                                                      use.cached ? " (reused from the cache)" : "");
  switch (use.role) {
  case ObjectUse::Role::Output:
    return fmt::format("output `{}` of {}", use.name, where);
  case ObjectUse::Role::Input:
    return fmt::format("input `{}` of {}", use.name, where);
  case ObjectUse::Role::Code:
    return fmt::format("code file `{}` of {}", use.name, where);
  case ObjectUse::Role::RunCode:
    return fmt::format("code file `{}` kept by run {}", use.name, use.runId);
  case ObjectUse::Role::ModelVersion:
    return fmt::format("model version {}", use.name);
  case ObjectUse::Role::Artifact:
    return use.name.empty() ? std::string("a recorded artifact")
                            : fmt::format("a recorded {} artifact", use.name);
  case ObjectUse::Role::Baseline:
    return fmt::format("the monitoring baseline of {}", use.name);
  }
  return "a recorded artifact";
}

namespace {

/// Runs `sql` and calls `row` for each result row.
Status eachRow(sqlite::Db& db, std::string_view sql,
               const std::function<void(const sqlite::Query&)>& row) {
  Result<sqlite::Query> q = db.query(sql);
  if (!q) return q.err();
  for (;;) {
    Result<bool> more = q->step();
    if (!more) return more.err();
    if (!*more) return {};
    row(*q);
  }
}

/// type and SQL of every table and index, by name (SQLite's own objects left out).
Result<std::map<std::string, std::pair<std::string, std::string>>> schemaObjects(sqlite::Db& db) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  Status s = eachRow(db,
                     "SELECT name, type, coalesce(sql, '') FROM sqlite_master "
                     "WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'index')",
                     [&](const sqlite::Query& q) {
                       out[q.text(0)] = {q.text(1), q.text(2)};
                     });
  if (!s) return s.err();
  return out;
}

Status checkSchema(sqlite::Db& db, std::vector<MetaProblem>& out) {
  int latest = latestSchemaVersion();
  Status s = eachRow(db, "SELECT count(*), coalesce(max(version), 0) FROM schema_version",
                     [&](const sqlite::Query& q) {
                       int64_t rows = q.int64(0), version = q.int64(1);
                       if (rows != 1)
                         out.push_back({"schema", fmt::format("meta.db records {} schema versions; "
                                                              "it should record exactly one",
                                                              rows)});
                       if (version != latest)
                         out.push_back({"schema", fmt::format("meta.db is at schema version {}; "
                                                              "this mlpc reads and writes version "
                                                              "{}",
                                                              version, latest)});
                     });
  if (!s) return s;
  // The expected schema is what the migrations build in an empty database; comparing the SQL
  // text of every table and index finds a dropped index or a column changed by hand.
  Result<sqlite::Db> fresh = sqlite::Db::open(":memory:", 0);
  if (!fresh) return fresh.err();
  if (Result<int> v = migrate(*fresh); !v) return v.err();
  auto want = schemaObjects(*fresh);
  if (!want) return want.err();
  auto have = schemaObjects(db);
  if (!have) return have.err();
  for (const auto& [name, typeSql] : *want) {
    auto it = have->find(name);
    if (it == have->end())
      out.push_back({"schema", fmt::format("meta.db has no {} `{}` (schema version {} has one)",
                                           typeSql.first, name, latest)});
    else if (it->second != typeSql)
      out.push_back({"schema", fmt::format("meta.db's {} `{}` is not the one schema version {} "
                                           "defines",
                                           typeSql.first, name, latest)});
  }
  return {};
}

Status checkDatabase(sqlite::Db& db, std::vector<MetaProblem>& out) {
  return eachRow(db, "PRAGMA integrity_check", [&](const sqlite::Query& q) {
    std::string line = q.text(0);
    if (line != "ok") out.push_back({"database", "meta.db is damaged: " + line});
  });
}

/// A reference between rows whose target is gone: the query selects the text columns the
/// message needs, in order.
struct Dangling {
  std::string_view sql;
  std::string_view message; // fmt pattern over the selected columns
};

// Each query lists rows whose reference has no target. The foreign keys declare these, but
// SQLite only enforces them on connections that turn them on, and a database edited by hand or
// restored from parts need not satisfy them.
constexpr Dangling kDangling[] = {
    {"SELECT e.node, e.id, e.run_id FROM executions e "
     "WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = e.run_id)",
     "step `{}` (execution {}) belongs to run {}, which does not exist"},
    {"SELECT e.node, e.run_id, e.cached_from FROM executions e WHERE e.cached_from IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM executions c WHERE c.id = e.cached_from)",
     "step `{}` in run {} reused the outputs of execution {}, which does not exist"},
    {"SELECT e.node, e.run_id, e.repeat_of FROM executions e WHERE e.repeat_of IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM executions c WHERE c.id = e.repeat_of)",
     "step `{}` in run {} repeats execution {}, which does not exist"},
    // Not gone, but elsewhere: lineage reaches a repeat's hit only through the row it repeats
    // (consumersOf), so that row must have run or reused the execution the hit reuses.
    {"SELECT e.node, e.run_id, e.repeat_of, e.cached_from FROM executions e "
     "JOIN executions c ON c.id = e.repeat_of "
     "WHERE e.cached_from IS NOT NULL AND e.cached_from != coalesce(c.cached_from, c.id)",
     "step `{}` in run {} repeats execution {}, which neither ran nor reused execution {}"},
    {"SELECT b.name, b.artifact_hash, b.execution_id FROM execution_inputs b "
     "WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = b.execution_id)",
     "input `{}` (object {}) belongs to execution {}, which does not exist"},
    {"SELECT b.name, b.artifact_hash, b.execution_id FROM execution_outputs b "
     "WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = b.execution_id)",
     "output `{}` (object {}) belongs to execution {}, which does not exist"},
    {"SELECT b.name, e.node, e.run_id, b.artifact_hash FROM execution_inputs b "
     "JOIN executions e ON e.id = b.execution_id "
     "WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = b.artifact_hash)",
     "input `{}` of step `{}` in run {} refers to object {}, which has no artifact record"},
    {"SELECT b.name, e.node, e.run_id, b.artifact_hash FROM execution_outputs b "
     "JOIN executions e ON e.id = b.execution_id "
     "WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = b.artifact_hash)",
     "output `{}` of step `{}` in run {} refers to object {}, which has no artifact record"},
    {"SELECT c.path, c.execution_id FROM execution_code c "
     "WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = c.execution_id)",
     "code file `{}` belongs to execution {}, which does not exist"},
    {"SELECT c.path, c.run_id FROM run_code c "
     "WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.run_id)",
     "code file `{}` was kept by run {}, which does not exist"},
    {"SELECT m.name, m.run_id FROM metrics m "
     "WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = m.run_id)",
     "metric `{}` belongs to run {}, which does not exist"},
    {"SELECT m.name, m.run_id, m.execution_id FROM metrics m "
     "WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = m.execution_id)",
     "metric `{}` of run {} belongs to execution {}, which does not exist"},
    {"SELECT p.name, p.run_id FROM run_params p "
     "WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.run_id)",
     "parameter `{}` belongs to run {}, which does not exist"},
    {"SELECT v.group_name, v.version, v.artifact_hash FROM model_versions v "
     "WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = v.artifact_hash)",
     "model version {}@{} refers to object {}, which has no artifact record"},
    {"SELECT v.group_name, v.version, v.run_id FROM model_versions v WHERE v.run_id IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = v.run_id)",
     "model version {}@{} was registered by run {}, which does not exist"},
    {"SELECT v.group_name, v.version, v.execution_id FROM model_versions v "
     "WHERE v.execution_id IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = v.execution_id)",
     "model version {}@{} was registered by execution {}, which does not exist"},
    {"SELECT DISTINCT ev.group_name, ev.version FROM model_version_events ev "
     "WHERE NOT EXISTS (SELECT 1 FROM model_versions v "
     "WHERE v.group_name = ev.group_name AND v.version = ev.version)",
     "model version {}@{} has approval history, but the version does not exist"},
    {"SELECT m.id, m.monitor, m.baseline_hash FROM monitor_executions m "
     "WHERE m.baseline_hash IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM baselines b WHERE b.hash = m.baseline_hash)",
     "monitoring execution {} of `{}` compared against baseline {}, which has no baseline record"},
};

Status checkReferences(sqlite::Db& db, std::vector<MetaProblem>& out) {
  for (const Dangling& d : kDangling) {
    Status s = eachRow(db, d.sql, [&](const sqlite::Query& q) {
      // Every pattern has 2 to 4 columns.
      std::string c[4];
      for (int i = 0; i < 4; ++i)
        c[i] = q.text(i);
      std::string msg = fmt::format(fmt::runtime(d.message), c[0], c[1], c[2], c[3]);
      out.push_back({"reference", std::move(msg)});
    });
    if (!s) return s;
  }
  return {};
}

} // namespace

/// Every use of an object by a binding of `table` (execution_inputs or execution_outputs): the
/// executions' own rows (an execution that no longer exists reads as empty text, for `verify`),
/// then each cache hit's, which are the rows of the execution it reused (schema version 8).
#define MLPC_BINDING_USES(table)                                                                   \
  "SELECT b.artifact_hash, b.kind, b.name, coalesce(e.run_id, ''), coalesce(e.node, ''), "         \
  "b.execution_id, coalesce(e.status, '') FROM " table " b "                                       \
  "LEFT JOIN executions e ON e.id = b.execution_id UNION ALL "                                     \
  "SELECT b.artifact_hash, b.kind, b.name, e.run_id, e.node, e.id, e.status FROM executions e "    \
  "JOIN " table " b ON b.execution_id = e.cached_from ORDER BY 6, 3"

Result<std::vector<ObjectUse>> SqliteMetaStore::objectUses() {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::read(db_);
  if (!txn) return txn.err();
  std::vector<ObjectUse> out;
  auto bindings = [&](ObjectUse::Role role, std::string_view sql) {
    return eachRow(db_, sql, [&](const sqlite::Query& q) {
      ObjectUse u;
      u.role = role;
      u.hash = q.text(0);
      u.kind = store::parseArtifactKind(q.text(1));
      u.name = q.text(2);
      u.runId = q.text(3);
      u.node = q.text(4);
      u.executionId = q.int64(5);
      u.cached = q.text(6) == toString(ExecStatus::Cached);
      out.push_back(std::move(u));
    });
  };
  if (Status s = bindings(ObjectUse::Role::Output, MLPC_BINDING_USES("execution_outputs")); !s)
    return s.err();
  if (Status s = bindings(ObjectUse::Role::Input, MLPC_BINDING_USES("execution_inputs")); !s)
    return s.err();
  if (Status s = eachRow(db_,
                         "SELECT v.artifact_hash, coalesce(a.kind, ''), v.group_name, v.version, "
                         "coalesce(v.run_id, ''), coalesce(v.execution_id, 0) "
                         "FROM model_versions v LEFT JOIN artifacts a ON a.hash = v.artifact_hash "
                         "ORDER BY v.group_name, v.version",
                         [&](const sqlite::Query& q) {
                           ObjectUse u;
                           u.role = ObjectUse::Role::ModelVersion;
                           u.hash = q.text(0);
                           u.kind = store::parseArtifactKind(q.text(1));
                           u.name = fmt::format("{}@{}", q.text(2), q.int64(3));
                           u.runId = q.text(4);
                           u.executionId = q.int64(5);
                           out.push_back(std::move(u));
                         });
      !s)
    return s.err();
  if (Status s = eachRow(db_,
                         "SELECT c.hash, c.path, coalesce(e.run_id, ''), coalesce(e.node, ''), "
                         "c.execution_id FROM execution_code c "
                         "LEFT JOIN executions e ON e.id = c.execution_id UNION ALL "
                         "SELECT c.hash, c.path, e.run_id, e.node, e.id FROM executions e "
                         "JOIN execution_code c ON c.execution_id = e.cached_from "
                         "ORDER BY 5, 2",
                         [&](const sqlite::Query& q) {
                           ObjectUse u;
                           u.role = ObjectUse::Role::Code;
                           u.hash = q.text(0);
                           u.required = false;
                           u.name = q.text(1);
                           u.runId = q.text(2);
                           u.node = q.text(3);
                           u.executionId = q.int64(4);
                           out.push_back(std::move(u));
                         });
      !s)
    return s.err();
  // The bytes of the code a run kept when it started (NULL: the file did not exist then).
  if (Status s = eachRow(db_,
                         "SELECT hash, dir, path, run_id FROM run_code WHERE hash IS NOT NULL "
                         "ORDER BY run_id, dir, path",
                         [&](const sqlite::Query& q) {
                           ObjectUse u;
                           u.role = ObjectUse::Role::RunCode;
                           u.hash = q.text(0);
                           u.kind = store::ArtifactKind::File;
                           std::string dir = q.text(1);
                           u.name = dir == "." ? q.text(2) : dir + "/" + q.text(2);
                           u.runId = q.text(3);
                           out.push_back(std::move(u));
                         });
      !s)
    return s.err();
  // Monitors' baselines: directory objects the agent stored (statistics.json, constraints.json).
  if (Status s = eachRow(db_, "SELECT hash, data_name FROM baselines ORDER BY hash",
                         [&](const sqlite::Query& q) {
                           ObjectUse u;
                           u.role = ObjectUse::Role::Baseline;
                           u.hash = q.text(0);
                           u.kind = store::ArtifactKind::Dir;
                           u.name = q.text(1);
                           out.push_back(std::move(u));
                         });
      !s)
    return s.err();
  if (Status s = eachRow(db_, "SELECT hash, kind, type FROM artifacts ORDER BY hash",
                         [&](const sqlite::Query& q) {
                           ObjectUse u;
                           u.role = ObjectUse::Role::Artifact;
                           u.hash = q.text(0);
                           u.kind = store::parseArtifactKind(q.text(1));
                           u.name = q.text(2);
                           out.push_back(std::move(u));
                         });
      !s)
    return s.err();
  return out;
}

Result<std::vector<MetaProblem>> SqliteMetaStore::checkConsistency() {
  std::lock_guard lock(mu_);
  std::vector<MetaProblem> out;
  // SQLite's own check first: when the file is damaged, what the queries below read is not
  // worth reporting.
  if (Status s = checkDatabase(db_, out); !s) return s.err();
  if (!out.empty()) return out;
  Result<sqlite::Transaction> txn = sqlite::Transaction::read(db_);
  if (!txn) return txn.err();
  if (Status s = checkSchema(db_, out); !s) return s.err();
  // The reference queries read the tables of this schema version; on another schema they
  // would only fail, and the schema problem is the one to fix first.
  if (!out.empty()) return out;
  if (Status s = checkReferences(db_, out); !s) return s.err();
  return out;
}

} // namespace mlpc::meta
