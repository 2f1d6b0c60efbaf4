#include "meta/sqlite_meta_store.h"

#include "meta/migrations.h"
#include "meta/sqlite_rows.h"
#include "store/posix.h"

#include <chrono>
#include <sqlite3.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

namespace mlpc::meta {

namespace rows {

RunRecord readRun(const sqlite::Query& q) {
  RunRecord r;
  r.id = q.text(0);
  r.pipeline = q.text(1);
  r.entry = q.text(2);
  r.planHash = q.text(3);
  r.paramsJson = q.text(4);
  r.status = parseRunStatus(q.text(5)).value_or(RunStatus::Running);
  r.message = q.text(6);
  r.startedAt = q.real(7);
  r.finishedAt = q.optReal(8);
  r.host = q.text(9);
  r.pid = q.int64(10);
  r.counts = {q.int64(11), q.int64(12), q.int64(13), q.int64(14)};
  r.reproductionOf = q.text(15); // NULL reads as ""
  return r;
}

ExecutionRecord readExecution(const sqlite::Query& q) {
  ExecutionRecord e;
  e.id = q.int64(0);
  e.runId = q.text(1);
  e.node = q.text(2);
  e.step = q.text(3);
  e.cacheKey = q.text(4);
  e.status = parseExecStatus(q.text(5)).value_or(ExecStatus::Running);
  e.exitCode = q.optInt64(6);
  e.attempts = q.int64(7);
  e.startedAt = q.real(8);
  e.finishedAt = q.optReal(9);
  e.stdoutPath = q.text(10);
  e.stderrPath = q.text(11);
  e.source = q.text(12);
  e.command = q.text(13);
  e.image = q.text(14);
  e.cachedFrom = q.optInt64(15);
  e.paramsJson = q.text(16);
  e.error = q.text(17);
  e.queuedAt = q.optReal(18);
  return e;
}

ModelVersion readVersion(const sqlite::Query& q) {
  ModelVersion v;
  v.group = q.text(0);
  v.version = q.int64(1);
  v.artifactHash = q.text(2);
  v.runId = q.text(3);
  v.executionId = q.optInt64(4);
  v.metricsJson = q.text(5);
  v.tagsJson = q.text(6);
  v.status = q.text(7);
  v.createdAt = q.real(8);
  return v;
}

std::string prefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace rows

namespace {

/// Switching to WAL needs a moment of exclusive access; while another process holds the
/// database in the middle of that switch SQLite reports busy without consulting the busy
/// handler, so retry for as long as the busy timeout would have waited.
Status enableWal(sqlite::Db& db) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(SqliteMetaStore::kBusyTimeoutMs);
  for (;;) {
    Result<std::string> mode = [&]() -> Result<std::string> {
      Result<sqlite::Query> q = db.query("PRAGMA journal_mode=WAL");
      if (!q) return q.err();
      Result<bool> row = q->step();
      if (!row) return row.err();
      return *row ? q->text(0) : std::string();
    }();
    if (mode) {
      if (*mode == "wal") return {};
      return fail(fmt::format("{}: cannot use write-ahead logging (journal mode is '{}'); is the "
                              "workspace on a network filesystem?",
                              db.path(), *mode));
    }
    int code = db.lastErrorCode() & 0xff;
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() > deadline)
      return mode.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// SQLite reports an unwritable location as "unable to open database file" with whatever errno
/// its last fallback attempt produced. The usual cause is the directory (which must hold the
/// -wal and -shm files too), so name it and its real error when that is the problem.
Error explainOpenFailure(const std::string& dbPath, Error original) {
  size_t slash = dbPath.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dbPath.substr(0, slash);
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return fail(fmt::format("cannot open '{}': {}", dbPath,
                            store::osError("write to directory", dir).message));
  return original;
}

} // namespace

Result<std::unique_ptr<SqliteMetaStore>> SqliteMetaStore::open(const std::string& workspaceDir) {
  return openFile(workspaceDir + "/meta.db");
}

Result<std::unique_ptr<SqliteMetaStore>> SqliteMetaStore::openFile(const std::string& dbPath) {
  return openFile(dbPath, true);
}

Result<std::unique_ptr<SqliteMetaStore>>
SqliteMetaStore::openWithoutMigrating(const std::string& workspaceDir) {
  return openFile(workspaceDir + "/meta.db", false);
}

Result<std::unique_ptr<SqliteMetaStore>> SqliteMetaStore::openFile(const std::string& dbPath,
                                                                   bool migrateSchema) {
  Result<sqlite::Db> db = sqlite::Db::open(dbPath, kBusyTimeoutMs);
  if (!db) return explainOpenFailure(dbPath, db.err());
  if (Status s = enableWal(*db); !s) return explainOpenFailure(dbPath, s.err());
  // A 64 MiB page cache (used only as the database grows; SQLite's default is 2 MiB): a run of
  // thousands of steps touches the execution indexes all over, and with the default cache a
  // fully cached 10k-step re-run read and wrote each page several times (bench/runtime.sh).
  if (Status s = db->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
      !s)
    return s.err();
  if (!migrateSchema) {
    // The version as stored; a database without the table (or unreadable) counts as 0.
    int stored = 0;
    if (Result<sqlite::Query> q = db->query("SELECT max(version) FROM schema_version"))
      if (Result<bool> row = q->step(); row && *row)
        stored = static_cast<int>(q->optInt64(0).value_or(0));
    return std::unique_ptr<SqliteMetaStore>(new SqliteMetaStore(std::move(*db), stored));
  }
  Result<int> version = migrate(*db);
  if (!version) return explainOpenFailure(dbPath, version.err());
  return std::unique_ptr<SqliteMetaStore>(new SqliteMetaStore(std::move(*db), *version));
}

// --- file hash cache ------------------------------------------------------------------------

Result<std::optional<store::HashCacheEntry>>
SqliteMetaStore::lookupFileHash(const std::string& path) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT dev, ino, size, mtime_ns, hash FROM file_hashes WHERE path = ?1");
  if (!q) return q.err();
  Result<bool> row = q->bind(1, path).step();
  if (!row) return row.err();
  if (!*row) return std::optional<store::HashCacheEntry>();
  store::HashCacheEntry e;
  e.path = path;
  // dev and ino are unsigned 64-bit; SQLite integers are signed, so they round-trip bit-cast.
  e.stamp = {static_cast<uint64_t>(q->int64(0)), static_cast<uint64_t>(q->int64(1)),
             static_cast<uint64_t>(q->int64(2)), q->int64(3)};
  e.hash = q->text(4);
  return std::optional<store::HashCacheEntry>(std::move(e));
}

Status SqliteMetaStore::storeFileHashes(const std::vector<store::HashCacheEntry>& entries) {
  std::lock_guard lock(mu_);
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db_);
  if (!txn) return txn.err();
  for (const store::HashCacheEntry& e : entries) {
    if (Status s = db_.run("INSERT OR REPLACE INTO file_hashes (path, dev, ino, size, mtime_ns, "
                           "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           e.path, e.stamp.dev, e.stamp.ino, e.stamp.size, e.stamp.mtimeNs, e.hash);
        !s)
      return s;
  }
  return txn->commit();
}

} // namespace mlpc::meta
