// The model registry: versions per group and their status history.
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"
#include <algorithm>

#include <fmt/format.h>

namespace mlpc::meta {

Result<ModelVersion> SqliteMetaStore::registerVersion(const NewModelVersion& nv) {
  if (nv.group.empty()) return fail("a model group name is required");
  if (nv.initialStatus.empty()) return fail("a model version needs an initial status");
  std::lock_guard lock(mu_);
  // The write lock is taken before reading max(version), so concurrent registrations (in any
  // process) are serialised and get consecutive numbers.
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  {
    Result<sqlite::Query> q = db_.query("SELECT 1 FROM artifacts WHERE hash = ?1");
    if (!q) return q.err();
    Result<bool> known = q->bind(1, nv.artifactHash).step();
    if (!known) return known.err();
    if (!*known)
      return fail(fmt::format("cannot register '{}': artifact {} is not recorded", nv.group,
                              nv.artifactHash));
  }
  if (nv.reuseSameArtifact) {
    Result<sqlite::Query> q = db_.query("SELECT " MLPC_VERSION_COLUMNS " FROM model_versions "
                                        "WHERE group_name = ?1 AND artifact_hash = ?2 "
                                        "ORDER BY version LIMIT 1");
    if (!q) return q.err();
    Result<bool> row = q->bindAll(nv.group, nv.artifactHash).step();
    if (!row) return row.err();
    if (*row) {
      ModelVersion existing = rows::readVersion(*q);
      existing.reused = true;
      return existing;
    }
  }
  ModelVersion v;
  v.group = nv.group;
  v.artifactHash = nv.artifactHash;
  v.runId = nv.runId;
  v.executionId = nv.executionId;
  v.metricsJson = nv.metricsJson;
  v.tagsJson = nv.tagsJson;
  v.status = nv.initialStatus;
  v.createdAt = nv.createdAt > 0 ? nv.createdAt : rows::now();
  {
    Result<sqlite::Query> q =
        db_.query("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE group_name = ?1");
    if (!q) return q.err();
    Result<bool> row = q->bind(1, nv.group).step();
    if (!row) return row.err();
    v.version = q->int64(0);
  }
  std::optional<std::string> runId;
  if (!v.runId.empty()) runId = v.runId;
  if (Status s = db_.run("INSERT INTO model_versions (" MLPC_VERSION_COLUMNS ") "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                         v.group, v.version, v.artifactHash, runId, v.executionId, v.metricsJson,
                         v.tagsJson, v.status, v.createdAt);
      !s)
    return fail(fmt::format("registering '{}': {}", nv.group, s.error()));
  if (Status s = db_.run("INSERT INTO model_version_events (group_name, version, from_status, "
                         "to_status, actor, at, comment) VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6)",
                         v.group, v.version, v.status, nv.actor, v.createdAt, nv.comment);
      !s)
    return s.err();
  if (Status s = txn->commit(); !s) return s.err();
  return v;
}

Result<ModelVersion> SqliteMetaStore::getVersionLocked(const std::string& group, int64_t version) {
  Result<sqlite::Query> q = db_.query("SELECT " MLPC_VERSION_COLUMNS " FROM model_versions "
                                      "WHERE group_name = ?1 AND version = ?2");
  if (!q) return q.err();
  Result<bool> row = q->bindAll(group, version).step();
  if (!row) return row.err();
  if (!*row) return fail(fmt::format("model '{}' has no version {}", group, version));
  return rows::readVersion(*q);
}

Result<ModelVersion> SqliteMetaStore::getVersion(const std::string& group, int64_t version) {
  std::lock_guard lock(mu_);
  return getVersionLocked(group, version);
}

Result<std::vector<ModelVersion>> SqliteMetaStore::listVersions(const std::string& group) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q = db_.query("SELECT " MLPC_VERSION_COLUMNS " FROM model_versions "
                                      "WHERE group_name = ?1 ORDER BY version");
  if (!q) return q.err();
  q->bind(1, group);
  return rows::readAll<ModelVersion>(*q, rows::readVersion);
}

Result<ModelVersion>
SqliteMetaStore::transitionVersion(const std::string& group, int64_t version,
                                   const std::string& toStatus, const std::string& actor,
                                   const std::string& comment,
                                   const std::vector<std::string>& allowedFrom) {
  if (toStatus.empty()) return fail("a model version status cannot be empty");
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  Result<ModelVersion> v = getVersionLocked(group, version);
  if (!v) return v;
  // Checked inside the write transaction, so two decisions at once are serialised: the second
  // sees the first one's status.
  if (!allowedFrom.empty() &&
      std::find(allowedFrom.begin(), allowedFrom.end(), v->status) == allowedFrom.end())
    return fail(group + " version " + std::to_string(version) + " is " + v->status +
                ": it cannot become " + toStatus);
  if (Status s = db_.run("UPDATE model_versions SET status = ?3 "
                         "WHERE group_name = ?1 AND version = ?2",
                         group, version, toStatus);
      !s)
    return s.err();
  if (Status s = db_.run("INSERT INTO model_version_events (group_name, version, from_status, "
                         "to_status, actor, at, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         group, version, v->status, toStatus, actor, rows::now(), comment);
      !s)
    return s.err();
  if (Status s = txn->commit(); !s) return s.err();
  v->status = toStatus;
  return v;
}

Result<std::vector<std::string>> SqliteMetaStore::modelGroups() {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT DISTINCT group_name FROM model_versions ORDER BY group_name");
  if (!q) return q.err();
  return rows::readAll<std::string>(*q, [](const sqlite::Query& r) { return r.text(0); });
}

Result<std::vector<ModelVersionEvent>> SqliteMetaStore::versionEvents(const std::string& group,
                                                                      int64_t version) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT id, group_name, version, from_status, to_status, actor, at, comment "
                "FROM model_version_events WHERE group_name = ?1 AND version = ?2 ORDER BY id");
  if (!q) return q.err();
  q->bindAll(group, version);
  return rows::readAll<ModelVersionEvent>(*q, [](const sqlite::Query& r) {
    ModelVersionEvent e;
    e.id = r.int64(0);
    e.group = r.text(1);
    e.version = r.int64(2);
    if (!r.isNull(3)) e.fromStatus = r.text(3);
    e.toStatus = r.text(4);
    e.actor = r.text(5);
    e.at = r.real(6);
    e.comment = r.text(7);
    return e;
  });
}

} // namespace mlpc::meta
