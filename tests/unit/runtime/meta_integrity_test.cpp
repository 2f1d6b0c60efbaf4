// What `mlpc verify` reads from the metadata: every reference to a stored object, and the
// consistency checks (schema, SQLite integrity, references between rows).
#include "meta/deploy_log.h"
#include "meta/migrations.h"
#include "meta_test_support.h"
#include "store/sha256.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

ArtifactRecord artifact(const std::string& content, const std::string& type = "") {
  return {store::sha256Bytes(content), store::ArtifactKind::File, content.size(), type, 0};
}

struct Recorded {
  std::string run;
  int64_t train = 0, eval = 0;
  ArtifactRecord data, model, report;
};

/// A run: train(data) -> model, eval(model) -> report, model registered as churn@1.
Recorded record(MetaStore& meta) {
  Recorded r;
  NewRun nr;
  nr.pipeline = "demo";
  nr.params = {{"seed", "1"}};
  r.run = meta.createRun(nr).value().id;
  r.data = artifact("rows", "Dataset<csv>");
  r.model = artifact("weights", "Model<sklearn>");
  r.report = artifact("report");
  REQUIRE(meta.recordArtifact(r.data).ok());
  ExecutionRecord e;
  e.runId = r.run;
  e.node = "train";
  e.step = "demo.Train";
  e.status = ExecStatus::Succeeded;
  ExecutionIo io;
  io.inputs = {{"data", r.data}};
  io.outputs = {{"model", r.model}};
  io.code = {{"train.py", store::sha256Bytes("print(1)")}};
  io.metrics = {{"auc", 0.9}};
  r.train = meta.recordExecution(e, io).value();
  e.node = "ev";
  e.step = "demo.Eval";
  io = {};
  io.inputs = {{"m", r.model}};
  io.outputs = {{"report", r.report}};
  r.eval = meta.recordExecution(e, io).value();
  NewModelVersion v;
  v.group = "churn";
  v.artifactHash = r.model.hash;
  v.runId = r.run;
  v.executionId = r.train;
  REQUIRE(meta.registerVersion(v).ok());
  // The code the run kept: train.py's bytes, and a file that was missing when it started.
  REQUIRE(meta.recordRunCode(r.run, {{".", "train.py", store::sha256Bytes("print(1)")},
                                     {"lib", "gone.py", std::nullopt}})
              .ok());
  return r;
}

/// A second connection that does not enforce foreign keys, as a hand edit would be.
sqlite::Db rawDb(const store::ScopedTempDir& dir) {
  return sqlite::Db::open(dir.path() + "/meta.db", 5000).value();
}

std::vector<std::string> messages(const std::vector<MetaProblem>& ps) {
  std::vector<std::string> out;
  for (const MetaProblem& p : ps)
    out.push_back(p.kind + ": " + p.message);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("objectUses lists every reference with its run and step", "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  Recorded r = record(*meta);
  std::vector<ObjectUse> uses = meta->objectUses().value();
  std::vector<std::string> described;
  for (const ObjectUse& u : uses)
    if (u.hash == r.model.hash) described.push_back(describe(u));
  std::sort(described.begin(), described.end());
  CHECK(described == std::vector<std::string>{
                         "a recorded Model<sklearn> artifact",
                         "input `m` of step `ev` in run " + r.run,
                         "model version churn@1",
                         "output `model` of step `train` in run " + r.run,
                     });
  auto code = std::find_if(uses.begin(), uses.end(),
                           [](const ObjectUse& u) { return u.role == ObjectUse::Role::Code; });
  REQUIRE(code != uses.end());
  CHECK_FALSE(code->required); // code bytes are not kept in the store
  CHECK_FALSE(code->kind.has_value());
  CHECK(code->name == "train.py");
  // The bytes a run kept of its code are required: reproduce runs them.
  std::vector<ObjectUse> kept;
  std::copy_if(uses.begin(), uses.end(), std::back_inserter(kept),
               [](const ObjectUse& u) { return u.role == ObjectUse::Role::RunCode; });
  REQUIRE(kept.size() == 1); // the missing file has no object
  CHECK(kept[0].hash == store::sha256Bytes("print(1)"));
  CHECK(kept[0].required);
  CHECK(describe(kept[0]) == "code file `train.py` kept by run " + r.run);
  for (const ObjectUse& u : uses)
    if (u.role != ObjectUse::Role::Code) {
      CHECK(u.required);
      CHECK(u.kind == store::ArtifactKind::File);
    }
}

TEST_CASE("a consistent database has no problems", "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  record(*meta);
  CHECK(meta->checkConsistency().value().empty());
}

TEST_CASE("rows whose target is gone are named in user terms", "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  Recorded r;
  {
    auto meta = openMeta(dir);
    r = record(*meta);
  }
  {
    sqlite::Db db = rawDb(dir);
    REQUIRE(db.exec("DELETE FROM runs").ok());
    REQUIRE(db.exec("DELETE FROM artifacts WHERE hash = '" + r.report.hash + "'").ok());
  }
  auto meta = openMeta(dir);
  std::vector<std::string> got = messages(meta->checkConsistency().value());
  std::vector<std::string> want = {
      "reference: code file `gone.py` was kept by run " + r.run + ", which does not exist",
      "reference: code file `train.py` was kept by run " + r.run + ", which does not exist",
      "reference: metric `auc` belongs to run " + r.run + ", which does not exist",
      "reference: model version churn@1 was registered by run " + r.run + ", which does not exist",
      "reference: output `report` of step `ev` in run " + r.run + " refers to object " +
          r.report.hash + ", which has no artifact record",
      "reference: parameter `seed` belongs to run " + r.run + ", which does not exist",
      "reference: step `ev` (execution " + std::to_string(r.eval) + ") belongs to run " + r.run +
          ", which does not exist",
      "reference: step `train` (execution " + std::to_string(r.train) + ") belongs to run " +
          r.run + ", which does not exist",
  };
  std::sort(want.begin(), want.end());
  CHECK(got == want);
}

TEST_CASE("a schema changed by hand is reported", "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  { openMeta(dir); }
  {
    sqlite::Db db = rawDb(dir);
    REQUIRE(db.exec("DROP INDEX executions_by_run").ok());
    REQUIRE(db.exec("DROP TABLE metrics").ok());
    REQUIRE(db.exec("CREATE TABLE metrics (x INTEGER)").ok());
  }
  auto meta = openMeta(dir);
  std::string v = std::to_string(latestSchemaVersion());
  auto checked = meta->checkConsistency();
  INFO((checked ? std::string("ok") : checked.error()));
  REQUIRE(checked.ok());
  CHECK(messages(meta->checkConsistency().value()) ==
        std::vector<std::string>{
            "schema: meta.db has no index `executions_by_run` (schema version " + v + " has one)",
            "schema: meta.db has no index `metrics_by_run` (schema version " + v + " has one)",
            "schema: meta.db's table `metrics` is not the one schema version " + v + " defines",
        });
}

TEST_CASE("openWithoutMigrating reports the stored version and changes nothing",
          "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  { openMeta(dir); }
  {
    sqlite::Db db = rawDb(dir);
    REQUIRE(db.exec("UPDATE schema_version SET version = 1000").ok());
  }
  auto asIs = SqliteMetaStore::openWithoutMigrating(dir.path()).value();
  CHECK(asIs->schemaVersion() == 1000);
  // The normal open refuses a newer database.
  CHECK_FALSE(SqliteMetaStore::open(dir.path()).ok());
  {
    sqlite::Db db = rawDb(dir);
    REQUIRE(db.exec("DROP TABLE schema_version").ok());
  }
  CHECK(SqliteMetaStore::openWithoutMigrating(dir.path()).value()->schemaVersion() == 0);
}

TEST_CASE("a monitor's stored baseline is a required directory object; an execution naming an "
          "unrecorded one is reported",
          "[meta][integrity]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  auto log = DeployLog::open(dir.path()).value();
  std::string b = store::sha256Bytes("baseline"), data = store::sha256Bytes("data");
  BaselineRow row{b, data, "training data of iris v1 (input `data`)", "/store/x.csv", 150, 0};
  REQUIRE(log->recordBaseline(row).ok());
  REQUIRE(log->recordBaseline(row).ok()); // the same object again: one row
  CHECK(log->baselines("").value().size() == 1);
  auto found = log->baselines(b.substr(0, 8)).value();
  REQUIRE(found.size() == 1);
  CHECK(found[0].dataHash == data);
  CHECK(found[0].rows == 150);
  CHECK(found[0].dataName == "training data of iris v1 (input `data`)");
  std::string other = b.substr(0, 8);
  other[0] = other[0] == '0' ? '1' : '0';
  CHECK(log->baselines(other).value().empty());

  MonitorExecutionRow ex;
  ex.monitor = "drift";
  ex.endpoint = "api";
  ex.status = "Completed";
  ex.baselineHash = b;
  REQUIRE(log->recordMonitorExecution(ex).ok());
  CHECK(log->monitorExecutions("drift").value().at(0).baselineHash == b);

  std::vector<ObjectUse> uses = meta->objectUses().value();
  auto it = std::find_if(uses.begin(), uses.end(),
                         [](const ObjectUse& u) { return u.role == ObjectUse::Role::Baseline; });
  REQUIRE(it != uses.end());
  CHECK(it->hash == b);
  CHECK(it->kind == store::ArtifactKind::Dir);
  CHECK(it->required);
  CHECK(describe(*it) == "the monitoring baseline of training data of iris v1 (input `data`)");
  CHECK(meta->checkConsistency().value().empty());

  ex.baselineHash = std::string(64, 'e');
  int64_t id = log->recordMonitorExecution(ex).value();
  CHECK(messages(meta->checkConsistency().value()) ==
        std::vector<std::string>{"reference: monitoring execution " + std::to_string(id) +
                                 " of `drift` compared against baseline " + std::string(64, 'e') +
                                 ", which has no baseline record"});
}
