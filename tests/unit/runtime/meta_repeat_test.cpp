// MetaStore::repeatLastRun: a run recorded as a repeat of the run before it, and every reason it
// must not be.
#include "meta/sqlite_db.h"
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

const std::string kVersion = "9.9.9";

std::string hashOf(char c) {
  return std::string(64, c);
}

struct Workspace {
  store::ScopedTempDir dir = tempDir();
  std::unique_ptr<SqliteMetaStore> meta = openMeta(dir);
  std::set<std::string> missing; ///< objects the store no longer has

  /// Runs start and end at the clock's time (finishRun takes it), one after the other.
  std::string startRun(const std::string& planHash = "plan", const std::string& params = "{}",
                       char code = 'c') {
    NewRun nr;
    nr.pipeline = "p";
    nr.entry = "p.mlp";
    nr.planHash = planHash;
    nr.paramsJson = params;
    std::string id = meta->createRun(nr).value().id;
    ArtifactRecord bytes;
    bytes.hash = hashOf(code);
    REQUIRE(meta->recordArtifact(bytes).ok());
    REQUIRE(meta->recordRunCode(id, {RunCodeFile{".", "a.py", hashOf(code)}}).ok());
    return id;
  }

  /// A step that ran: output `out` (object `object`), the action carrying `version`.
  int64_t ran(const std::string& run, const std::string& node, char object, double at,
              const std::string& version = kVersion, std::vector<Metric> metrics = {}) {
    ExecutionRecord e;
    e.runId = run;
    e.node = node;
    e.step = "S";
    e.cacheKey = "key-" + node;
    e.status = ExecStatus::Succeeded;
    e.exitCode = 0;
    e.attempts = 1;
    e.startedAt = at;
    e.finishedAt = at + 1;
    e.source = "p.mlp:1:1-1:9";
    e.paramsJson = R"({"mlpc": ")" + version + R"(", "step": "S"})";
    ExecutionIo io;
    io.outputs.push_back({"out", {hashOf(object), store::ArtifactKind::File, 3, "File", at}});
    io.metrics = std::move(metrics);
    return meta->recordExecution(e, io).value();
  }

  void finish(const std::string& run, RunStatus status, int64_t ran, int64_t cached = 0) {
    RunCounts c;
    c.ran = ran;
    c.cached = cached;
    if (status == RunStatus::Failed) c.failed = 1;
    REQUIRE(meta->finishRun(run, status, "", c).ok());
  }

  /// Finishes `first` (two steps that ran) and records a run that repeats it, so that the run
  /// after reuses through hits.
  void finishThenRepeat(const std::string& first) {
    finish(first, RunStatus::Succeeded, 2);
    std::string mid = startRun();
    REQUIRE(repeat(mid));
    finish(mid, RunStatus::Succeeded, 0, 2);
  }

  std::optional<RepeatedRun> repeat(const std::string& run, const std::string& version = kVersion,
                                    bool sameInputs = true) {
    RepeatQuery q;
    q.runId = run;
    q.mlpcVersion = version;
    q.outputExists = [this](const ArtifactRecord& a) { return missing.count(a.hash) == 0; };
    q.sameInputs = [sameInputs](const std::string&) { return sameInputs; };
    return meta->repeatLastRun(q).value();
  }

  std::string sql(const std::string& query) {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    return scalar(db, query);
  }
  void exec(const std::string& statement) {
    sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
    REQUIRE(db.exec(statement).ok());
  }
};

} // namespace

TEST_CASE("a run repeats the run before it: one cached row per execution, pointing at what ran, "
          "with its metrics",
          "[meta][repeat]") {
  Workspace w;
  std::string first = w.startRun();
  int64_t a = w.ran(first, "a", 'a', 101, kVersion, {{"acc", 0.75}});
  int64_t b = w.ran(first, "b", 'b', 103);
  w.finish(first, RunStatus::Succeeded, 2);

  std::string second = w.startRun();
  std::optional<RepeatedRun> r = w.repeat(second);
  REQUIRE(r);
  CHECK(r->from == first);
  REQUIRE(r->executions.size() == 2);
  CHECK(r->executions[0].node == "a");
  CHECK(r->executions[1].node == "b");
  CHECK(r->executions[0].step == "S");
  CHECK(r->executions[0].source == "p.mlp:1:1-1:9");
  std::vector<ExecutionRecord> rows = w.meta->executionsOf(second).value();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == ExecStatus::Cached);
  CHECK(rows[0].cachedFrom == a);
  CHECK(rows[1].cachedFrom == b);
  CHECK(rows[0].cacheKey == "key-a");
  CHECK(rows[0].exitCode == 0);
  CHECK(rows[0].attempts == 0);
  // Read through the execution reused, as any hit (schema version 9).
  CHECK(rows[0].paramsJson.find(kVersion) != std::string::npos);
  CHECK(w.meta->outputsOf(rows[1].id).value().at(0).artifact.hash == hashOf('b'));
  CHECK(w.sql("SELECT group_concat(name || '=' || value) FROM metrics WHERE run_id = '" + second +
              "'") == "acc=0.75");
  w.finish(second, RunStatus::Succeeded, 0, 2);

  // A repeat of a repeat still points at the executions that ran.
  std::string third = w.startRun();
  REQUIRE(w.repeat(third));
  rows = w.meta->executionsOf(third).value();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].cachedFrom == a);
  CHECK(rows[1].cachedFrom == b);
  CHECK(w.meta->checkConsistency().value().empty());
}

TEST_CASE("a run does not repeat the run before it when a look-up per step could differ, and "
          "records nothing then",
          "[meta][repeat]") {
  Workspace w;
  std::string first = w.startRun();
  int64_t a = w.ran(first, "a", 'a', 101);
  w.ran(first, "b", 'b', 103);
  std::string second;
  std::string version = kVersion;
  bool sameInputs = true;
  bool finished = true;

  SECTION("an output is no longer stored") {
    w.missing.insert(hashOf('b'));
  }
  SECTION("another version of mlpc") {
    version = "9.9.10";
  }
  SECTION("other data") {
    sameInputs = false;
  }
  SECTION("a code file changed") {
    w.finish(first, RunStatus::Succeeded, 2);
    finished = false;
    second = w.startRun("plan", "{}", 'd');
  }
  SECTION("another plan") {
    w.finish(first, RunStatus::Succeeded, 2);
    finished = false;
    second = w.startRun("plan2");
  }
  SECTION("other parameters") {
    w.finish(first, RunStatus::Succeeded, 2);
    finished = false;
    second = w.startRun("plan", R"({"n": 2})");
  }
  SECTION("the run before failed") {
    w.finish(first, RunStatus::Failed, 2);
    finished = false;
  }
  SECTION("the run before was interrupted") {
    w.finish(first, RunStatus::Interrupted, 2); // with no step counted failed
    finished = false;
  }
  SECTION("a run of another pipeline came between") {
    w.finish(first, RunStatus::Succeeded, 2);
    finished = false;
    NewRun other;
    other.pipeline = "q";
    other.entry = "q.mlp";
    other.planHash = "other";
    std::string q = w.meta->createRun(other).value().id;
    REQUIRE(w.meta->finishRun(q, RunStatus::Succeeded, "", {}).ok());
  }
  SECTION("another run ran at the same time as it") {
    NewRun other;
    other.pipeline = "q";
    other.entry = "q.mlp";
    other.planHash = "other";
    // Started before the first run, still running when it ended.
    other.startedAt = w.meta->getRun(first).value().startedAt - 1;
    (void)w.meta->createRun(other).value();
  }
  SECTION("the execution it reused no longer succeeded") {
    w.finishThenRepeat(first);
    finished = false;
    w.exec("UPDATE executions SET status = 'failed' WHERE id = " + std::to_string(a));
  }
  SECTION("the execution it reused was made for another action") {
    w.finishThenRepeat(first);
    finished = false;
    w.exec("UPDATE executions SET cache_key = 'other' WHERE id = " + std::to_string(a));
  }
  SECTION("an execution without a cache key") {
    w.exec("UPDATE executions SET cache_key = '' WHERE id = " + std::to_string(a));
  }
  SECTION("the execution it reused is gone") {
    w.finishThenRepeat(first);
    finished = false;
    w.exec("DELETE FROM executions WHERE id = " + std::to_string(a)); // cached_from: NULL
  }
  if (finished) w.finish(first, RunStatus::Succeeded, 2);
  if (second.empty()) second = w.startRun();
  CHECK_FALSE(w.repeat(second, version, sameInputs));
  CHECK(w.meta->executionsOf(second).value().empty());
  CHECK(w.sql("SELECT count(*) FROM metrics WHERE run_id = '" + second + "'") == "0");
}
