#pragma once
// What the metadata tests share: a scratch workspace directory and a store opened on it.
#include "meta/migrations.h"
#include "meta/sqlite_db.h"
#include "meta/sqlite_meta_store.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc::meta::testing {

inline store::ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-meta-test-");
}

inline std::unique_ptr<SqliteMetaStore> openMeta(const store::ScopedTempDir& dir) {
  Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
  REQUIRE(meta.ok());
  return std::move(meta).value();
}

/// The workspace's meta.db as schema version `version` left it: the migrations up to it, and
/// no later one (for the tests that upgrade an older workspace).
inline sqlite::Db dbAtVersion(const store::ScopedTempDir& dir, int version) {
  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  std::vector<std::string_view> upTo(schemaMigrations().begin(),
                                     schemaMigrations().begin() + version);
  REQUIRE(migrate(db, upTo).value() == version);
  return db;
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
