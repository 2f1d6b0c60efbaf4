#pragma once
/// The meta.db schema as an ordered list of migrations. Migration i (0-based) takes the schema
/// from version i to version i+1; the version lives in the one-row table `schema_version`.
/// To change the schema, append a SQL string to the list in migrations.cpp; never edit one that
/// has shipped (databases in the wild already ran it).
#include "meta/sqlite_db.h"

#include <string_view>
#include <vector>

namespace mlpc::meta {

const std::vector<std::string_view>& schemaMigrations();

/// The version a database has after migrate(): schemaMigrations().size().
int latestSchemaVersion();

/// Applies every pending migration in one write transaction (so concurrent openers serialise
/// and a failure leaves the old schema intact). Returns the resulting version; a database newer
/// than this build is an error rather than something to guess about.
Result<int> migrate(sqlite::Db& db);
/// Same with an explicit migration list (tests exercise the mechanism with their own lists).
Result<int> migrate(sqlite::Db& db, const std::vector<std::string_view>& migrations);

} // namespace mlpc::meta
