#include "meta/sqlite_db.h"

#include <cstring>
#include <sqlite3.h>

#include <fmt/format.h>

namespace mlpc::meta::sqlite {

// --- Query ------------------------------------------------------------------------------------

Query::Query(Db& db, sqlite3_stmt* stmt, bool* inUse) : db_(&db), stmt_(stmt), inUse_(inUse) {}

Query::Query(Query&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), inUse_(other.inUse_), bindError_(other.bindError_) {
  other.stmt_ = nullptr;
}

Query::~Query() {
  if (!stmt_) return;
  if (!inUse_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *inUse_ = false;
  }
}

Query& Query::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && !bindError_) bindError_ = rc;
  return *this;
}

Query& Query::bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && !bindError_) bindError_ = rc;
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT copies: callers may bind temporaries.
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && !bindError_) bindError_ = rc;
  return *this;
}

Query& Query::bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && !bindError_) bindError_ = rc;
  return *this;
}

Result<bool> Query::step() {
  if (bindError_)
    return fail(fmt::format("{}: cannot bind a parameter of `{}`: {}", db_->path(),
                            sqlite3_sql(stmt_), sqlite3_errstr(bindError_)));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error(rc);
}

Status Query::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.err();
    if (!*row) return {};
  }
}

int64_t Query::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Query::real(int col) const {
  return sqlite3_column_double(stmt_, col);
}
bool Query::isNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::string Query::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<int64_t> Query::optInt64(int col) const {
  if (isNull(col)) return std::nullopt;
  return int64(col);
}

std::optional<double> Query::optReal(int col) const {
  if (isNull(col)) return std::nullopt;
  return real(col);
}

// --- Db ---------------------------------------------------------------------------------------

Result<Db> Db::open(const std::string& path, int busyTimeoutMs) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw, path, busyTimeoutMs);
  if (rc != SQLITE_OK) return db.error(rc, "opening the database");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busyTimeoutMs);
  return db;
}

Db::Db(Db&& other) noexcept
    : db_(other.db_), path_(std::move(other.path_)), busyTimeoutMs_(other.busyTimeoutMs_),
      snapshotHeld_(other.snapshotHeld_), cache_(std::move(other.cache_)) {
  other.db_ = nullptr;
}

Db::~Db() {
  for (auto& [sql, cached] : cache_)
    sqlite3_finalize(cached.stmt);
  // close_v2 defers the close until any statement still alive is finalised.
  if (db_) sqlite3_close_v2(db_);
}

Status Db::exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc);
  return {};
}

Result<Query> Db::query(std::string_view sql) {
  auto [it, inserted] = cache_.try_emplace(std::string(sql));
  CachedStmt& cached = it->second;
  // Map nodes are stable, so the Query can point at its slot's flag.
  if (!inserted && !cached.inUse) {
    cached.inUse = true;
    return Query(*this, cached.stmt, &cached.inUse);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    if (inserted) cache_.erase(it);
    return error(rc, fmt::format("preparing `{}`", sql));
  }
  if (!inserted) return Query(*this, stmt, nullptr); // nested use of a busy statement
  cached.stmt = stmt;
  cached.inUse = true;
  return Query(*this, stmt, &cached.inUse);
}

int64_t Db::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}
int Db::lastErrorCode() const {
  return sqlite3_errcode(db_);
}
int64_t Db::changes() const {
  return sqlite3_changes64(db_);
}

Error Db::error(int rc, std::string_view context) const {
  std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    message = fmt::format("the database is locked by another process (waited {} s)",
                          busyTimeoutMs_ / 1000);
  } else if (int sysErr = db_ ? sqlite3_system_errno(db_) : 0;
             sysErr != 0 && (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ||
                             primary == SQLITE_READONLY || primary == SQLITE_FULL)) {
    const char* name = strerrorname_np(sysErr);
    message += fmt::format(": {} [{}]", std::strerror(sysErr), name ? name : "?");
  }
  if (context.empty()) return fail(fmt::format("{}: {}", path_, message));
  return fail(fmt::format("{}: {} (while {})", path_, message, context));
}

// --- Transaction ------------------------------------------------------------------------------

// BEGIN, COMMIT and ROLLBACK go through the statement cache: sqlite3_exec would parse them
// again each time, which was a tenth of a fully cached re-run's time (bench/runtime.sh).
Result<Transaction> Transaction::write(Db& db) {
  if (db.inBatch()) return joinBatch(db);
  if (Status s = db.releaseSnapshot(); !s) return s.err();
  if (Status s = db.run("BEGIN IMMEDIATE"); !s) return s.err();
  return Transaction(db, false);
}

Result<Transaction> Transaction::read(Db& db) {
  if (db.inBatch()) return joinBatch(db);
  if (Status s = db.releaseSnapshot(); !s) return s.err();
  if (Status s = db.run("BEGIN"); !s) return s.err();
  return Transaction(db, false);
}

// Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back on its
// own. A savepoint opened after that would start a transaction of its own, outside the batch:
// joinBatch refuses instead, and endBatch reports the batch lost.
Status Db::checkBatchAlive() const {
  if (sqlite3_get_autocommit(db_) == 0) return {};
  return fail(fmt::format("{}: the batch of writes was rolled back by an earlier error", path_));
}

Result<Transaction> Transaction::joinBatch(Db& db) {
  if (Status s = db.checkBatchAlive(); !s) return s.err();
  if (Status s = db.run("SAVEPOINT batched"); !s) return s.err();
  return Transaction(db, true);
}

Status Db::beginBatch() {
  if (batch_) return {};
  if (Status s = releaseSnapshot(); !s) return s;
  if (Status s = run("BEGIN IMMEDIATE"); !s) return s;
  batch_ = true;
  return {};
}

Status Db::endBatch() {
  if (!batch_) return {};
  batch_ = false;
  if (Status s = checkBatchAlive(); !s) return s;
  Status s = run("COMMIT");
  if (!s) (void)run("ROLLBACK");
  return s;
}

Status Db::holdSnapshot() {
  if (snapshotHeld_ || batch_) return {};
  if (Status s = run("BEGIN"); !s) return s;
  snapshotHeld_ = true;
  return {};
}

Status Db::releaseSnapshot() {
  if (!snapshotHeld_) return {};
  snapshotHeld_ = false;
  // Nothing was written in it (see holdSnapshot), so COMMIT only ends the read.
  return run("COMMIT");
}

Transaction::~Transaction() {
  if (!db_) return;
  if (!savepoint_) {
    (void)db_->run("ROLLBACK");
  } else if (Status s = db_->run("ROLLBACK TO batched"); s) {
    (void)db_->run("RELEASE batched"); // ROLLBACK TO leaves the savepoint open
  }
}

Status Transaction::commit() {
  Status s = db_->run(savepoint_ ? "RELEASE batched" : "COMMIT");
  if (s) db_ = nullptr; // on failure the destructor rolls back
  return s;
}

} // namespace mlpc::meta::sqlite
