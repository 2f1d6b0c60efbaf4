// Schema versions 8 to 10 (a cache hit is one short executions row, read through the execution
// it reused) and lookups held on one snapshot.
#include "meta/migrations.h"
#include "meta/sqlite_db.h"
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

TEST_CASE("a version-7 workspace is upgraded in place: a cache hit's copied rows are dropped and "
          "read through the execution it reused",
          "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  std::string hash(64, 'a');
  {
    sqlite::Db db = dbAtVersion(dir, 7);
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                    "started_at, host, pid) VALUES ('r-1', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 1, 'host', 1)")
                .ok());
    std::string artifactRow = "INSERT INTO artifacts (hash, kind, size, created_at) VALUES ('";
    artifactRow += hash;
    artifactRow += "', 'file', 3, 1)";
    REQUIRE(db.exec(artifactRow).ok());
    // Execution 1 ran; execution 2 reused it and, as version 7 did, copied its rows.
    REQUIRE(db.exec("INSERT INTO executions (id, run_id, node, step, cache_key, status, attempts, "
                    "started_at, finished_at, cached_from) VALUES "
                    "(1, 'r-1', 'a', 'A', 'k', 'succeeded', 1, 10, 12, NULL), "
                    "(2, 'r-1', 'a', 'A', 'k', 'cached', 0, 13, 13, 1)")
                .ok());
    for (const char* id : {"1", "2"})
      for (const char* table : {"execution_inputs", "execution_outputs", "execution_code"}) {
        std::string row = "INSERT INTO ";
        row += table;
        row += " VALUES (";
        row += id;
        row += std::string_view(table) == "execution_code" ? ", 'a.py', '" : ", 'x', '";
        row += hash;
        row += std::string_view(table) == "execution_code" ? "')" : "', 'file')";
        REQUIRE(db.exec(row).ok());
      }
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == latestSchemaVersion());
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    CHECK(scalar(db, "SELECT count(*) FROM execution_inputs") == "1");
    CHECK(scalar(db, "SELECT count(*) FROM execution_outputs") == "1");
    CHECK(scalar(db, "SELECT count(*) FROM execution_code") == "1");
    CHECK(scalar(db, "SELECT execution_id FROM execution_outputs") == "1");
  }
  for (int64_t id : {1, 2}) {
    CHECK(meta->inputsOf(id).value().at(0).name == "x");
    CHECK(meta->outputsOf(id).value().at(0).name == "x");
    CHECK(meta->outputsOf(id).value().at(0).artifact.hash == hash);
    CHECK(meta->codeOf(id).value().at(0).path == "a.py");
  }
  std::vector<ObjectUse> uses = meta->objectUses().value();
  int hitUses = 0;
  for (const ObjectUse& u : uses)
    if (u.executionId == 2) {
      CHECK(u.cached == (u.role != ObjectUse::Role::Code));
      ++hitUses;
    }
  CHECK(hitUses == 3);
  CHECK(meta->checkConsistency().value().empty());
}

TEST_CASE("held lookups read one snapshot until a write or release, and writes still work",
          "[meta][cache]") {
  store::ScopedTempDir dir = tempDir();
  auto mine = openMeta(dir);
  auto other = openMeta(dir); // another process's connection
  NewRun r;
  r.pipeline = "p";
  std::string run = other->createRun(r).value().id;
  auto succeeded = [&](const std::string& key) {
    ExecutionRecord e;
    e.runId = run;
    e.node = e.step = "s";
    e.cacheKey = key;
    e.status = ExecStatus::Succeeded;
    e.startedAt = 1;
    e.finishedAt = 2;
    return other->recordExecution(e, {}).value();
  };
  auto lookup = [&](const std::string& key) {
    CacheQuery q;
    q.cacheKey = key;
    return mine->lookupCache(q).value().has_value();
  };
  succeeded("k1");
  REQUIRE(mine->holdLookups(true).ok());
  CHECK(lookup("k1"));
  succeeded("k2");
  CHECK_FALSE(lookup("k2")); // the snapshot of the first held lookup
  // A write on this connection ends the snapshot first (and is not refused inside it).
  REQUIRE(mine->recordArtifact({std::string(64, 'b'), store::ArtifactKind::File, 1, "", 0}).ok());
  CHECK(lookup("k2"));
  succeeded("k3");
  CHECK_FALSE(lookup("k3"));
  REQUIRE(mine->holdLookups(false).ok());
  CHECK(lookup("k3"));
  succeeded("k4");
  CHECK(lookup("k4")); // not held: every lookup reads the latest
  // A writer is not blocked by a held snapshot.
  REQUIRE(mine->holdLookups(true).ok());
  CHECK(lookup("k4"));
  succeeded("k5");
  REQUIRE(mine->holdLookups(false).ok());
  CHECK(lookup("k5"));
}

TEST_CASE("a version-8 workspace is upgraded in place: a cache hit's copied text is dropped and "
          "read from the execution it reused",
          "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  {
    sqlite::Db db = dbAtVersion(dir, 8);
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                    "started_at, host, pid) VALUES ('r-1', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 1, 'host', 1)")
                .ok());
    // Execution 2 reused execution 1 and, as version 8 did, copied its text.
    REQUIRE(db.exec("INSERT INTO executions (id, run_id, node, step, cache_key, status, attempts, "
                    "started_at, finished_at, stdout_path, stderr_path, source, command, image, "
                    "cached_from, params_json) VALUES "
                    "(1, 'r-1', 'a', 'A', 'k', 'succeeded', 1, 10, 12, 'o1', 'e1', 'x.mlp:1:1', "
                    "'echo 1', 'img', NULL, '{\"run\":\"echo\"}'), "
                    "(2, 'r-1', 'a', 'A', 'k', 'cached', 0, 13, 13, 'o1', 'e1', 'x.mlp:2:1', "
                    "'echo 1', 'img', 1, '{\"run\":\"echo\"}')")
                .ok());
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == latestSchemaVersion());
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    CHECK(scalar(db, "SELECT command || '|' || image || '|' || stdout_path || '|' || stderr_path "
                     "|| '|' || params_json FROM executions WHERE id = 2") == "||||{}");
    CHECK(scalar(db, "SELECT command FROM executions WHERE id = 1") == "echo 1");
  }
  ExecutionRecord hit = meta->getExecution(2).value();
  CHECK(hit.command == "echo 1");
  CHECK(hit.image == "img");
  CHECK(hit.stdoutPath == "o1");
  CHECK(hit.stderrPath == "e1");
  CHECK(hit.paramsJson == "{\"run\":\"echo\"}");
  CHECK(hit.source == "x.mlp:2:1"); // its own
  CHECK(hit.cachedFrom == 1);
  std::vector<ExecutionRecord> all = meta->executionsOf("r-1").value();
  REQUIRE(all.size() == 2);
  CHECK(all[1].command == "echo 1");
  CHECK(all[1].paramsJson == all[0].paramsJson);
}

TEST_CASE("a cache hit recorded now keeps only its own facts and reads the rest through the "
          "execution it reused",
          "[meta][cache]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  NewRun r;
  r.pipeline = "p";
  std::string run = meta->createRun(r).value().id;
  // An execution of step "s" under key "k" in this run.
  auto execution = [&](ExecStatus status, double at) {
    ExecutionRecord e;
    e.runId = run;
    e.node = e.step = "s";
    e.cacheKey = "k";
    e.status = status;
    e.startedAt = at;
    e.finishedAt = at;
    return e;
  };
  ExecutionRecord ran = execution(ExecStatus::Succeeded, 1);
  ran.command = "python3 train.py";
  ran.image = "python:3.11";
  ran.stdoutPath = "logs/s.out";
  ran.stderrPath = "logs/s.err";
  ran.paramsJson = R"({"run":"python3 train.py"})";
  int64_t first = meta->recordExecution(ran, {}).value();
  // What the executor records for a hit: the run, node, key, status, source and the pointer.
  ExecutionRecord hit = execution(ExecStatus::Cached, 3);
  hit.source = "p.mlp:4:3";
  hit.cachedFrom = first;
  REQUIRE(meta->recordExecutions({{hit, ExecutionIo{}}}).ok());
  std::vector<ExecutionRecord> all = meta->executionsOf(run).value();
  REQUIRE(all.size() == 2);
  CHECK(all[1].status == ExecStatus::Cached);
  CHECK(all[1].command == ran.command);
  CHECK(all[1].image == ran.image);
  CHECK(all[1].stdoutPath == ran.stdoutPath);
  CHECK(all[1].stderrPath == ran.stderrPath);
  CHECK(all[1].paramsJson == ran.paramsJson);
  CHECK(all[1].source == "p.mlp:4:3");
  // A hit is never a lookup's answer: the lookup returns the execution that ran.
  CacheQuery q;
  q.cacheKey = "k";
  std::optional<CacheHit> found = meta->lookupCache(q).value();
  REQUIRE(found.has_value());
  CHECK(found->executionId == first);
}

TEST_CASE("a version-9 workspace is upgraded in place: its hits name no row they repeat, stay in "
          "the index of cached_from, and lineage still finds them",
          "[meta][schema]") {
  store::ScopedTempDir dir = tempDir();
  std::string hash(64, 'a');
  {
    sqlite::Db db = dbAtVersion(dir, 9);
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, entry, plan_hash, params_json, status, "
                    "started_at, host, pid) VALUES ('r-1', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 1, 'host', 1), ('r-2', 'p', 'e.mlp', 'h', '{}', "
                    "'succeeded', 2, 'host', 1)")
                .ok());
    REQUIRE(db.exec("INSERT INTO artifacts (hash, kind, size, created_at) VALUES ('" + hash +
                    "', 'file', 3, 1)")
                .ok());
    // Execution 1 read the object; execution 2, in the next run, reused it (as repeats did).
    REQUIRE(db.exec("INSERT INTO executions (id, run_id, node, step, cache_key, status, attempts, "
                    "started_at, finished_at, cached_from) VALUES "
                    "(1, 'r-1', 'a', 'A', 'k', 'succeeded', 1, 10, 12, NULL), "
                    "(2, 'r-2', 'a', 'A', 'k', 'cached', 0, 13, 13, 1)")
                .ok());
    REQUIRE(db.exec("INSERT INTO execution_inputs VALUES (1, 'x', '" + hash + "', 'file')").ok());
  }
  std::unique_ptr<SqliteMetaStore> meta = SqliteMetaStore::open(dir.path()).value();
  CHECK(meta->schemaVersion() == 10);
  {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    CHECK(scalar(db, "SELECT coalesce(repeat_of, 'NULL') FROM executions WHERE id = 2") == "NULL");
    CHECK(scalar(db,
                 "SELECT group_concat(id) FROM executions INDEXED BY "
                 "executions_by_cached_from WHERE cached_from = 1 AND repeat_of IS NULL") == "2");
  }
  std::vector<ExecutionRecord> consumers = meta->consumersOf(hash).value();
  REQUIRE(consumers.size() == 2);
  CHECK(consumers[0].id == 1);
  CHECK(consumers[1].id == 2);
  CHECK(consumers[1].cachedFrom == 1);
  CHECK(meta->checkConsistency().value().empty());
}
