// meta.db: creation, configuration, migrations and open errors.
#include "meta/deploy_log.h"
#include "meta/migrations.h"
#include "meta/sqlite_db.h"
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

TEST_CASE("a fresh database is migrated to the latest version", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
  REQUIRE(meta.ok());
  CHECK((*meta)->schemaVersion() == latestSchemaVersion());
  CHECK(latestSchemaVersion() == 10);
  CHECK((*meta)->path() == dir / "meta.db");
  meta = store::fail("closed");

  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  CHECK(scalar(db, "SELECT version FROM schema_version") == "10");
  CHECK(scalar(db, "PRAGMA journal_mode") == "wal");
  for (const char* table : {"runs",
                            "run_params",
                            "executions",
                            "artifacts",
                            "execution_inputs",
                            "execution_outputs",
                            "execution_code",
                            "metrics",
                            "file_hashes",
                            "model_versions",
                            "model_version_events",
                            "run_code",
                            "deployments",
                            "endpoint_state",
                            "traffic_steps",
                            "deployment_events",
                            "endpoint_instances",
                            "schedule_runs",
                            "monitor_executions",
                            "baselines"}) {
    INFO(table);
    CHECK(scalar(db, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = '") +
                         table + "'") == "1");
  }
}

TEST_CASE("reopening keeps data and does not re-run migrations", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  std::string id;
  {
    std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
    NewRun run;
    run.pipeline = "p";
    id = meta->createRun(run).value().id;
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == latestSchemaVersion());
  CHECK(meta->getRun(id).value().pipeline == "p");
}

TEST_CASE("migrate applies pending migrations once", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  sqlite::Db db = sqlite::Db::open(dir / "plain.db", 1000).value();
  CHECK(migrate(db).value() == latestSchemaVersion());
  CHECK(migrate(db).value() == latestSchemaVersion());
  CHECK(scalar(db, "SELECT count(*) FROM schema_version") == "1");
}

TEST_CASE("a new schema version is one appended migration", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  sqlite::Db db = sqlite::Db::open(dir / "plain.db", 1000).value();
  std::vector<std::string_view> list = {"CREATE TABLE a (x INTEGER)"};
  REQUIRE(migrate(db, list).value() == 1);
  REQUIRE(db.exec("INSERT INTO a VALUES (7)").ok());
  list.push_back("ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'v2'");
  CHECK(migrate(db, list).value() == 2);
  CHECK(scalar(db, "SELECT x || y FROM a") == "7v2");
  CHECK(scalar(db, "SELECT version FROM schema_version") == "2");

  // A failing migration rolls back entirely: no half-applied statements, version unchanged.
  list.push_back("CREATE TABLE b (x); CREATE TABLE a (duplicate)");
  Result<int> failed = migrate(db, list);
  REQUIRE(!failed.ok());
  CHECK_THAT(failed.error(), Catch::Contains("version 3"));
  CHECK(scalar(db, "SELECT version FROM schema_version") == "2");
  CHECK(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == "0");
}

TEST_CASE("a version-1 workspace is upgraded in place: executions kept, queued_at empty",
          "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    std::vector<std::string_view> v1 = {schemaMigrations()[0]};
    REQUIRE(migrate(db, v1).value() == 1);
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                    "started_at, host, pid) VALUES ('r-1', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 1, 'host', 1)")
                .ok());
    REQUIRE(db.exec("INSERT INTO executions (run_id, node, step, cache_key, status, attempts, "
                    "started_at, finished_at) VALUES ('r-1', 'a', 'A', 'k', 'succeeded', 1, 10, "
                    "12)")
                .ok());
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == latestSchemaVersion());
  auto ex = meta->executionsOf("r-1").value();
  REQUIRE(ex.size() == 1);
  CHECK(ex[0].startedAt == 10);
  CHECK(!ex[0].queuedAt.has_value());
}

TEST_CASE("a version-2 workspace is upgraded in place: its runs kept no code", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    std::vector<std::string_view> v2 = {schemaMigrations()[0], schemaMigrations()[1]};
    REQUIRE(migrate(db, v2).value() == 2);
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                    "started_at, host, pid) VALUES ('r-1', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 1, 'host', 1)")
                .ok());
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == latestSchemaVersion());
  CHECK(meta->getRun("r-1").value().pipeline == "p");
  CHECK(meta->runCodeOf("r-1").value().empty());
  // New runs record theirs: a kept file by hash, a missing one without.
  std::string h(64, 'a');
  REQUIRE(
      meta->recordRunCode("r-1", {{".", "x.py", h}, {"@stdlib/std", "y.py", std::nullopt}}).ok());
  auto code = meta->runCodeOf("r-1").value();
  REQUIRE(code.size() == 2);
  CHECK(code[0] == RunCodeFile{".", "x.py", h});
  CHECK(code[1] == RunCodeFile{"@stdlib/std", "y.py", std::nullopt});
  CHECK_FALSE(meta->recordRunCode("r-1", {{".", "z.py", std::string("nothex")}}).ok());
}

TEST_CASE("a database from a newer mlpc is refused", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  { REQUIRE(SqliteMetaStore::open(dir.path()).ok()); }
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    REQUIRE(db.exec("UPDATE schema_version SET version = 99").ok());
  }
  Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
  REQUIRE(!meta.ok());
  CHECK_THAT(meta.error(), Catch::Contains("99") && Catch::Contains("newer"));
}

TEST_CASE("opening in an unwritable directory names the file", "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  ::chmod(dir.path().c_str(), 0555);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Root ignores permission bits: drop to an unprivileged user first.
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(90);
    Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
    ::_exit(!meta.ok() && meta.error().find(dir / "meta.db") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::chmod(dir.path().c_str(), 0700);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a version-6 workspace is upgraded in place: its monitoring executions name no stored "
          "baseline",
          "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  {
    sqlite::Db db = dbAtVersion(dir, 6);
    REQUIRE(db.exec("INSERT INTO monitor_executions (monitor, endpoint, window_start, window_end, "
                    "status) VALUES ('m', 'e', 1, 2, 'NoData')")
                .ok());
  }
  auto log = DeployLog::open(dir.path()).value();
  auto rows = log->monitorExecutions("m").value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "NoData");
  CHECK_FALSE(rows[0].baselineHash.has_value());
  CHECK(log->baselines("").value().empty());
}
