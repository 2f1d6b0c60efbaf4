// Batches of writes (MetaStore::beginBatch / endBatch, sqlite::Db::beginBatch): what `mlpc run`
// records in one pass of its scheduler commits as one transaction.
#include "meta/sqlite_db.h"
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <string>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

ExecutionRecord running(const std::string& run, const std::string& node) {
  ExecutionRecord e;
  e.runId = run;
  e.node = e.step = node;
  e.cacheKey = "key-" + node;
  e.status = ExecStatus::Running;
  e.startedAt = 1;
  return e;
}

ExecutionFinish succeeded(int64_t id) {
  ExecutionFinish f;
  f.id = id;
  f.status = ExecStatus::Succeeded;
  f.attempts = 1;
  f.finishedAt = 2;
  return f;
}

/// A new run of pipeline `p`; its id.
std::string newRun(MetaStore& meta) {
  NewRun r;
  r.pipeline = "p";
  return meta.createRun(r).value().id;
}

/// How many executions another connection (another process) sees.
std::string executionsSeen(const store::ScopedTempDir& dir) {
  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  return scalar(db, "SELECT count(*) FROM executions");
}

} // namespace

TEST_CASE("a batch's writes commit together at its end, and only there", "[meta][batch]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRun(*meta);

  REQUIRE(meta->beginBatch().ok());
  REQUIRE(meta->beginBatch().ok()); // already open: no-op
  int64_t a = meta->startExecution(running(run, "a"), {}, {}).value();
  int64_t b = meta->startExecution(running(run, "b"), {}, {}).value();
  REQUIRE(meta->finishExecution(succeeded(a)).ok());
  // The batch reads its own writes, held lookups included.
  REQUIRE(meta->holdLookups(true).ok());
  CacheQuery q;
  q.cacheKey = "key-a";
  std::optional<CacheHit> hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == a);
  REQUIRE(meta->holdLookups(false).ok());
  CHECK(executionsSeen(dir) == "0");

  // Another process cannot write meanwhile: the batch holds the write lock.
  {
    sqlite::Db other = sqlite::Db::open(dir / "meta.db", 50).value();
    Status s = other.exec("BEGIN IMMEDIATE");
    CHECK_FALSE(s.ok());
    if (!s.ok()) CHECK(s.error().find("locked") != std::string::npos);
  }

  REQUIRE(meta->endBatch().ok());
  REQUIRE(meta->endBatch().ok()); // none open: no-op
  CHECK(executionsSeen(dir) == "2");
  CHECK(meta->getExecution(a).value().status == ExecStatus::Succeeded);
  CHECK(meta->getExecution(b).value().status == ExecStatus::Running);
  CHECK(meta->checkConsistency().value().empty());
}

TEST_CASE("a write that fails inside a batch undoes only itself", "[meta][batch]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRun(*meta);

  REQUIRE(meta->beginBatch().ok());
  int64_t a = meta->startExecution(running(run, "a"), {}, {}).value();
  // An input with a malformed hash: the execution's row goes in, then its binding fails, so the
  // whole startExecution must be undone.
  Binding bad;
  bad.name = "x";
  bad.artifact = {"not-a-hash", store::ArtifactKind::File, 1, "File", 1};
  CHECK_FALSE(meta->startExecution(running(run, "bad"), {bad}, {}).ok());
  CHECK_FALSE(meta->finishExecution(succeeded(a + 100)).ok()); // no such execution
  REQUIRE(meta->finishExecution(succeeded(a)).ok());
  REQUIRE(meta->endBatch().ok());

  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  CHECK(scalar(db, "SELECT group_concat(node || ':' || status) FROM executions") == "a:succeeded");
  CHECK(meta->checkConsistency().value().empty());
}

TEST_CASE("a batch never committed records nothing", "[meta][batch]") {
  store::ScopedTempDir dir = tempDir();
  std::string run;
  {
    auto meta = openMeta(dir);
    run = newRun(*meta);
    REQUIRE(meta->beginBatch().ok());
    int64_t a = meta->startExecution(running(run, "a"), {}, {}).value();
    REQUIRE(meta->finishExecution(succeeded(a)).ok());
    // The process ends here without endBatch (a crash closes the connection the same way).
  }
  CHECK(executionsSeen(dir) == "0");
  auto meta = openMeta(dir);
  CHECK(meta->getRun(run).ok()); // written before the batch
}

TEST_CASE("a batch that SQLite rolled back on its own refuses further writes and fails to end",
          "[meta][batch]") {
  store::ScopedTempDir dir = tempDir();
  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  REQUIRE(db.exec("CREATE TABLE t (x INTEGER)").ok());
  REQUIRE(db.beginBatch().ok());
  {
    sqlite::Transaction t = sqlite::Transaction::write(db).value();
    REQUIRE(db.exec("INSERT INTO t VALUES (1)").ok());
    REQUIRE(t.commit().ok());
  }
  // What SQLite does by itself after a full disk or an I/O error.
  REQUIRE(db.exec("ROLLBACK").ok());
  Result<sqlite::Transaction> t = sqlite::Transaction::write(db);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().find("rolled back") != std::string::npos);
  Status end = db.endBatch();
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().find("rolled back") != std::string::npos);
  CHECK(scalar(db, "SELECT count(*) FROM t") == "0");
  CHECK_FALSE(db.inBatch());
  // The connection is usable again, one transaction per write.
  {
    sqlite::Transaction w = sqlite::Transaction::write(db).value();
    REQUIRE(db.exec("INSERT INTO t VALUES (2)").ok());
    REQUIRE(w.commit().ok());
  }
  CHECK(scalar(db, "SELECT count(*) FROM t") == "1");
}
