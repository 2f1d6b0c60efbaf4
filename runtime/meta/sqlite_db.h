#pragma once
/// RAII over the sqlite3 C API: a connection with a cache of prepared statements, statements
/// that reset themselves when done, and transactions that roll back unless committed.
/// Not thread-safe by itself; SqliteMetaStore serialises access.
#include "meta/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace mlpc::meta::sqlite {

class Db;

/// A prepared statement in use. Binding is 1-based like SQLite's. On destruction the statement
/// is reset, which matters: an unreset SELECT keeps its read snapshot (and WAL checkpoints)
/// pinned.
class Query {
public:
  /// `inUse` is the cache slot's busy flag, cleared on destruction; null for a one-off
  /// statement, which is finalised instead.
  Query(Db& db, sqlite3_stmt* stmt, bool* inUse);
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(int index, int64_t value);
  Query& bind(int index, int value) { return bind(index, int64_t{value}); }
  Query& bind(int index, uint64_t value) { return bind(index, static_cast<int64_t>(value)); }
  Query& bind(int index, double value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, std::nullopt_t);
  template <class T> Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  /// Binds the arguments to parameters 1, 2, ...
  template <class... Args> Query& bindAll(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  /// Advances: true when a row is available, false when the statement is done.
  Result<bool> step();
  /// Steps to completion, for statements that return no rows.
  Status run();

  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool isNull(int col) const;
  std::optional<int64_t> optInt64(int col) const;
  std::optional<double> optReal(int col) const;

private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool* inUse_;
  int bindError_ = 0;
};

class Db {
public:
  /// Opens (creating) the database file; `busyTimeoutMs` is how long a statement waits for
  /// another connection's lock before failing with "locked".
  static Result<Db> open(const std::string& path, int busyTimeoutMs);
  Db(Db&& other) noexcept;
  Db& operator=(Db&&) = delete;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  /// Runs SQL text that may hold several statements (migrations, pragmas, BEGIN/COMMIT).
  Status exec(std::string_view sql);
  /// A statement for `sql`, prepared once per connection and reused.
  Result<Query> query(std::string_view sql);
  /// query(sql), binds `args` to ?1, ?2, ... and runs it to completion (no rows expected).
  template <class... Args> Status run(std::string_view sql, const Args&... args) {
    Result<Query> q = query(sql);
    if (!q) return q.err();
    return q->bindAll(args...).run();
  }
  int64_t lastInsertRowid() const;
  /// Opens a read transaction that the reads after it share, until releaseSnapshot() or the
  /// next Transaction (which releases it first, so a write never joins it). Each statement
  /// outside a transaction otherwise takes and drops the WAL's read lock on its own: most of a
  /// cache lookup's cost when a fully cached re-run makes one per step. No-op if open.
  Status holdSnapshot();
  Status releaseSnapshot();
  /// Opens one write transaction that the Transactions after it join as savepoints, until
  /// endBatch() commits them together: what each writes is still all or nothing, and their
  /// pages go to the WAL once rather than once each. A snapshot held is released first, and
  /// none is held while the batch is open (its reads see its own writes). No-op if open.
  Status beginBatch();
  /// Commits the batch (rolled back when the commit fails). No-op if none is open.
  Status endBatch();
  bool inBatch() const { return batch_; }
  /// sqlite3_errcode(): the (extended) result code of the last failed call.
  int lastErrorCode() const;
  int64_t changes() const;
  const std::string& path() const { return path_; }

  /// An Error for the connection's last failure: "<path>: <sqlite message>", with the OS error
  /// when SQLite has one and a plain explanation for a lock held too long.
  Error error(int rc, std::string_view context = {}) const;

private:
  friend class Transaction;
  /// Fails when SQLite has rolled the open batch back by itself.
  Status checkBatchAlive() const;
  struct CachedStmt {
    sqlite3_stmt* stmt = nullptr;
    bool inUse = false;
  };
  Db(sqlite3* db, std::string path, int busyTimeoutMs)
      : db_(db), path_(std::move(path)), busyTimeoutMs_(busyTimeoutMs) {}
  sqlite3* db_;
  std::string path_;
  int busyTimeoutMs_;
  bool snapshotHeld_ = false;
  bool batch_ = false;
  std::unordered_map<std::string, CachedStmt> cache_;
};

/// BEGIN IMMEDIATE (write) or BEGIN (read snapshot) ... COMMIT. Rolls back when destroyed
/// without commit(). Write transactions take the write lock up front: with WAL, a deferred
/// transaction that later tries to write fails with "busy" without waiting, while an immediate
/// one waits in the busy handler like everyone else.
class Transaction {
public:
  static Result<Transaction> write(Db& db);
  static Result<Transaction> read(Db& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_), savepoint_(other.savepoint_) {
    other.db_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status commit();

private:
  Transaction(Db& db, bool savepoint) : db_(&db), savepoint_(savepoint) {}
  /// Inside a batch (Db::beginBatch) a Transaction is a savepoint of the batch's transaction.
  static Result<Transaction> joinBatch(Db& db);
  Db* db_;
  bool savepoint_;
};

} // namespace mlpc::meta::sqlite
