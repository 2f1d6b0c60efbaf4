// MetaStore::repeatLastRun: a run recorded as a repeat of the run before it, and every reason it
// must not be.
#include "meta/sqlite_db.h"
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
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

TEST_CASE("a repeat's hits name the rows they repeat, stay out of the index of cached_from, and "
          "lineage reaches them through those rows",
          "[meta][repeat][lineage]") {
  Workspace w;
  std::string input = hashOf('e');
  ArtifactRecord in{input, store::ArtifactKind::File, 3, "File", 100};
  REQUIRE(w.meta->recordArtifact(in).ok());
  auto ids = [&w](const std::string& run) {
    std::vector<int64_t> out;
    std::vector<ExecutionRecord> rows = w.meta->executionsOf(run).value();
    for (const ExecutionRecord& e : rows)
      out.push_back(e.id);
    return out;
  };

  std::string first = w.startRun();
  int64_t a = w.ran(first, "a", 'a', 101);
  { // `b` reads the input (w.ran records outputs only)
    ExecutionRecord b = w.meta->getExecution(a).value();
    b.id = 0;
    b.node = "b";
    b.cacheKey = "key-b";
    ExecutionIo io;
    io.inputs.push_back({"data", in});
    io.outputs.push_back({"out", {hashOf('b'), store::ArtifactKind::File, 3, "File", 102}});
    w.meta->recordExecution(b, io).value();
  }
  std::vector<int64_t> run1 = ids(first);
  REQUIRE(run1.size() == 2);
  w.finish(first, RunStatus::Succeeded, 2);

  std::string second = w.startRun();
  REQUIRE(w.repeat(second));
  w.finish(second, RunStatus::Succeeded, 0, 2);
  std::string third = w.startRun();
  REQUIRE(w.repeat(third));
  w.finish(third, RunStatus::Succeeded, 0, 2);
  std::vector<int64_t> run2 = ids(second), run3 = ids(third);
  REQUIRE(run2.size() == 2);
  REQUIRE(run3.size() == 2);
  auto column = [&w](const char* col, int64_t id) {
    return w.sql(fmt::format("SELECT coalesce({}, 'NULL') FROM executions WHERE id = {}", col, id));
  };
  for (size_t i = 0; i < 2; ++i) {
    CHECK(column("repeat_of", run2[i]) == std::to_string(run1[i]));
    CHECK(column("repeat_of", run3[i]) == std::to_string(run2[i]));
    CHECK(column("cached_from", run3[i]) == std::to_string(run1[i])); // still what ran
    CHECK(column("repeat_of", run1[i]) == "NULL");
  }

  // A hit a look-up per step records names no row it repeats and is in the index.
  std::string fourth = w.startRun("other plan");
  ExecutionRecord hit = w.meta->getExecution(run1[1]).value();
  hit.id = 0;
  hit.runId = fourth;
  hit.status = ExecStatus::Cached;
  hit.cachedFrom = run1[1];
  int64_t stepHit = w.meta->recordExecution(hit, {}).value();
  w.finish(fourth, RunStatus::Succeeded, 0, 1);
  CHECK(column("repeat_of", stepHit) == "NULL");
  CHECK(w.sql(fmt::format("SELECT group_concat(id) FROM executions "
                          "INDEXED BY executions_by_cached_from "
                          "WHERE cached_from = {} AND repeat_of IS NULL",
                          run1[1])) == std::to_string(stepHit));

  // A repeat of that run repeats the step-by-step hit.
  std::string fifth = w.startRun("other plan");
  REQUIRE(w.repeat(fifth));
  std::vector<int64_t> run5 = ids(fifth);
  REQUIRE(run5.size() == 1);
  CHECK(column("repeat_of", run5[0]) == std::to_string(stepHit));
  w.finish(fifth, RunStatus::Succeeded, 0, 1);

  std::vector<int64_t> consumers;
  std::vector<ExecutionRecord> readers = w.meta->consumersOf(input).value();
  for (const ExecutionRecord& e : readers)
    consumers.push_back(e.id);
  CHECK(consumers == std::vector<int64_t>{run1[1], run2[1], run3[1], stepHit, run5[0]});
  CHECK(w.meta->consumersOf(hashOf('f')).value().empty());
  CHECK(w.meta->checkConsistency().value().empty());

  // verify's reference checks: a row it repeats that is gone, or that reused something else.
  w.exec(fmt::format("PRAGMA foreign_keys=OFF; UPDATE executions SET repeat_of = 999999 "
                     "WHERE id = {}; UPDATE executions SET repeat_of = {} WHERE id = {}",
                     run3[0], run2[0], run3[1]));
  std::vector<std::string> problems;
  std::vector<MetaProblem> found = w.meta->checkConsistency().value();
  for (const MetaProblem& p : found)
    problems.push_back(p.kind + ": " + p.message);
  std::sort(problems.begin(), problems.end());
  CHECK(problems ==
        std::vector<std::string>{
            fmt::format("reference: step `a` in run {} repeats execution 999999, which does not "
                        "exist",
                        third),
            fmt::format("reference: step `b` in run {} repeats execution {}, which neither ran "
                        "nor reused execution {}",
                        third, run2[0], run1[1]),
        });
}
