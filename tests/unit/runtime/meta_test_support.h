#pragma once
// What the metadata tests share: a scratch workspace directory and a store opened on it.
#include "meta/sqlite_db.h"
#include "meta/sqlite_meta_store.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace mlpc::meta::testing {

inline store::ScopedTempDir tempDir() {
  Result<store::ScopedTempDir> dir = store::ScopedTempDir::create("mlpc-meta-test-");
  REQUIRE(dir.ok());
  return std::move(dir).value();
}

inline std::unique_ptr<SqliteMetaStore> openMeta(const store::ScopedTempDir& dir) {
  Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
  REQUIRE(meta.ok());
  return std::move(meta).value();
}

/// The first column of the first row `sql` returns, as text (the row must exist).
inline std::string scalar(sqlite::Db& db, const std::string& sql) {
  Result<sqlite::Query> q = db.query(sql);
  REQUIRE(q.ok());
  Result<bool> row = q->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return q->text(0);
}

} // namespace mlpc::meta::testing
