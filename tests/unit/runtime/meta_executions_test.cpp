// Executions, the cache index, lineage, metrics, the hash cache table and the model registry.
#include "meta/metrics_json.h"
#include "meta_test_support.h"
#include "store/hash_cache.h"
#include "store/sha256.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/stat.h>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

std::string newRunId(MetaStore& meta) {
  NewRun r;
  r.pipeline = "demo";
  return meta.createRun(r).value().id;
}

ArtifactRecord artifact(const std::string& content, const std::string& type = "") {
  return {store::sha256Bytes(content), store::ArtifactKind::File, content.size(), type, 0};
}

ExecutionRecord exec(const std::string& runId, const std::string& node, const std::string& cacheKey,
                     ExecStatus status, double finishedAt = 0) {
  ExecutionRecord e;
  e.runId = runId;
  e.node = node;
  e.step = "demo." + node;
  e.cacheKey = cacheKey;
  e.status = status;
  e.startedAt = finishedAt > 0 ? finishedAt - 1 : 0;
  if (finishedAt > 0) e.finishedAt = finishedAt;
  e.exitCode = status == ExecStatus::Succeeded ? 0 : 1;
  e.attempts = 1;
  return e;
}

/// Rows of `table` (a binding or code table) that belong to execution `id`.
std::string countRows(const store::ScopedTempDir& dir, const std::string& table, int64_t id) {
  sqlite::Db db = sqlite::Db::open(dir / "meta.db", 1000).value();
  return scalar(db,
                "SELECT count(*) FROM " + table + " WHERE execution_id = " + std::to_string(id));
}

} // namespace

TEST_CASE("start and finish an execution with inputs code outputs and metrics",
          "[meta][executions]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ExecutionRecord e;
  e.runId = run;
  e.node = "train[2]";
  e.step = "models.train";
  e.cacheKey = std::string(64, 'c');
  e.source = "pipe.mlp:12:3";
  e.command = "python train.py --lr 0.1";
  e.image = "python:3.11";
  e.stdoutPath = "logs/train.out";
  e.paramsJson = R"({"lr":0.1})";
  std::vector<Binding> inputs = {{"data", artifact("rows", "Dataset<csv>")}};
  std::vector<CodeRef> code = {{"train.py", store::sha256Bytes("print(1)")}};
  int64_t id = meta->startExecution(e, inputs, code).value();

  ExecutionRecord running = meta->getExecution(id).value();
  CHECK(running.status == ExecStatus::Running);
  CHECK_FALSE(running.finishedAt.has_value());
  CHECK(running.node == "train[2]");
  CHECK(running.source == "pipe.mlp:12:3");

  ExecutionFinish f;
  f.id = id;
  f.status = ExecStatus::Succeeded;
  f.exitCode = 0;
  f.attempts = 2;
  f.outputs = {{"model", artifact("weights", "Model")}, {"metrics", artifact("{}", "Metrics")}};
  f.metrics = {{"accuracy", 0.93}, {"loss", 0.2}};
  REQUIRE(meta->finishExecution(f).ok());

  ExecutionRecord done = meta->getExecution(id).value();
  CHECK(done.status == ExecStatus::Succeeded);
  CHECK(done.exitCode == 0);
  CHECK(done.attempts == 2);
  CHECK(done.finishedAt.has_value());
  CHECK(done.command == e.command);
  CHECK(done.image == e.image);
  CHECK(done.paramsJson == e.paramsJson);

  std::vector<Binding> in = meta->inputsOf(id).value();
  REQUIRE(in.size() == 1);
  CHECK(in[0].name == "data");
  CHECK(in[0].artifact.hash == store::sha256Bytes("rows"));
  CHECK(in[0].artifact.type == "Dataset<csv>");
  CHECK(in[0].artifact.size == 4);
  std::vector<Binding> out = meta->outputsOf(id).value();
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "metrics");
  CHECK(out[1].name == "model");
  CHECK(meta->codeOf(id).value() == code);

  std::vector<MetricRecord> metrics = meta->metricsOf(run).value();
  REQUIRE(metrics.size() == 2);
  CHECK(metrics[0].name == "accuracy");
  CHECK(metrics[0].value == 0.93);
  CHECK(metrics[0].node == "train[2]");
  CHECK(metrics[0].executionId == id);
  CHECK(meta->executionsOf(run).value().size() == 1);
  CHECK_FALSE(meta->getExecution(id + 100).ok());
}

TEST_CASE("finishing with a launch time splits queued from running time", "[meta][executions]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ExecutionRecord e = exec(run, "a", std::string(64, 'a'), ExecStatus::Running);
  e.startedAt = 100; // recorded when queued
  int64_t launched = meta->startExecution(e, {}, {}).value();
  ExecutionFinish f;
  f.id = launched;
  f.launchedAt = 103;
  f.finishedAt = 110;
  REQUIRE(meta->finishExecution(f).ok());
  ExecutionRecord got = meta->getExecution(launched).value();
  CHECK(got.queuedAt == 100);
  CHECK(got.startedAt == 103);
  CHECK(got.finishedAt == 110);

  // Never launched (cancelled while queued): the times stay as recorded.
  e.node = "b";
  int64_t queued = meta->startExecution(e, {}, {}).value();
  ExecutionFinish c;
  c.id = queued;
  c.status = ExecStatus::Cancelled;
  c.finishedAt = 101;
  REQUIRE(meta->finishExecution(c).ok());
  got = meta->getExecution(queued).value();
  CHECK_FALSE(got.queuedAt.has_value());
  CHECK(got.startedAt == 100);
}

TEST_CASE("a failed record leaves nothing behind", "[meta][executions]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ExecutionIo io;
  io.inputs = {{"ok", artifact("fine")}};
  io.outputs = {{"bad", {"not-a-hash", store::ArtifactKind::File, 0, "", 0}}};
  REQUIRE_FALSE(meta->recordExecution(exec(run, "x", "k", ExecStatus::Succeeded), io).ok());
  CHECK(meta->executionsOf(run).value().empty());
  CHECK_FALSE(meta->getArtifact(store::sha256Bytes("fine")).value().has_value());

  ExecutionRecord orphan = exec("r-no-such-run", "x", "k", ExecStatus::Succeeded);
  CHECK_FALSE(meta->recordExecution(orphan, {}).ok()); // foreign keys are on
}

TEST_CASE("lookupCache returns the newest usable succeeded execution", "[meta][cache]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  std::string key(64, 'k');
  auto record = [&](const std::string& node, ExecStatus status, double at,
                    const std::string& output) {
    ExecutionIo io;
    io.outputs = {{"out", artifact(output)}};
    return meta->recordExecution(exec(run, node, key, status, at), io).value();
  };
  int64_t old = record("old", ExecStatus::Succeeded, 1000, "v1");
  int64_t newer = record("newer", ExecStatus::Succeeded, 2000, "v2");
  record("failed", ExecStatus::Failed, 3000, "v3");

  CacheQuery q;
  q.cacheKey = key;
  q.now = 2500;
  std::optional<CacheHit> hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == newer);
  REQUIRE(hit->outputs.size() == 1);
  CHECK(hit->outputs[0].artifact.hash == store::sha256Bytes("v2"));

  // The newest one's output was garbage-collected: fall back to the older one.
  q.outputExists = [](const ArtifactRecord& a) { return a.hash != store::sha256Bytes("v2"); };
  hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == old);

  q.maxAgeSeconds = 1000; // only executions finished at or after 1500
  CHECK_FALSE(meta->lookupCache(q).value().has_value());
  q.outputExists = nullptr;
  CHECK(meta->lookupCache(q).value()->executionId == newer);

  q.cacheKey = std::string(64, 'z');
  CHECK_FALSE(meta->lookupCache(q).value().has_value());
}

TEST_CASE("lookupCache reads every output of a candidate, and hits one without outputs",
          "[meta][cache]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  std::string key(64, 'm');
  ExecutionIo older;
  older.outputs = {{"b", artifact("b1")}, {"a", artifact("a1")}};
  int64_t oldId =
      meta->recordExecution(exec(run, "s", key, ExecStatus::Succeeded, 1000), older).value();
  ExecutionIo newer;
  newer.outputs = {{"c", artifact("c2")}, {"a", artifact("a2")}, {"b", artifact("b2")}};
  int64_t newId =
      meta->recordExecution(exec(run, "s", key, ExecStatus::Succeeded, 2000), newer).value();

  CacheQuery q;
  q.cacheKey = key;
  std::optional<CacheHit> hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == newId);
  REQUIRE(hit->outputs.size() == 3); // all of them, by name
  CHECK(hit->outputs[0].name == "a");
  CHECK(hit->outputs[1].name == "b");
  CHECK(hit->outputs[2].name == "c");
  CHECK(hit->outputs[2].artifact.hash == store::sha256Bytes("c2"));
  CHECK(hit->outputs[2].artifact.size == 2);

  // The newest one's last output is gone: the older one, with both of its own outputs.
  q.outputExists = [](const ArtifactRecord& a) { return a.hash != store::sha256Bytes("c2"); };
  hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == oldId);
  REQUIRE(hit->outputs.size() == 2);
  CHECK(hit->outputs[0].artifact.hash == store::sha256Bytes("a1"));
  CHECK(hit->outputs[1].artifact.hash == store::sha256Bytes("b1"));

  std::string bare(64, 'n');
  int64_t bareId =
      meta->recordExecution(exec(run, "t", bare, ExecStatus::Succeeded, 1000), ExecutionIo{})
          .value();
  q.cacheKey = bare;
  hit = meta->lookupCache(q).value();
  REQUIRE(hit.has_value());
  CHECK(hit->executionId == bareId);
  CHECK(hit->outputs.empty());
}

TEST_CASE("recordExecutions writes cache hits in one go, or nothing", "[meta][cache]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ArtifactRecord in = artifact("in");
  ArtifactRecord out = artifact("out");
  ExecutionIo io{{{"x", in}}, {{"y", out}}, {{"a.py", std::string(64, 'c')}}, {{"auc", 0.5}}};
  int64_t src = meta->recordExecution(exec(run, "s", "k", ExecStatus::Succeeded), io).value();

  ExecutionRecord hit = exec(run, "s2", "k", ExecStatus::Cached);
  hit.cachedFrom = src;
  ExecutionRecord skipped = exec(run, "t", "", ExecStatus::Skipped);
  REQUIRE(meta->recordExecutions({{hit, io}, {skipped, ExecutionIo{}}}).ok());
  std::vector<ExecutionRecord> all = meta->executionsOf(run).value();
  REQUIRE(all.size() == 3);
  CHECK(all[1].cachedFrom == src);
  CHECK(meta->inputsOf(all[1].id).value().at(0).artifact.hash == in.hash);
  CHECK(meta->outputsOf(all[1].id).value().at(0).artifact.hash == out.hash);
  CHECK(meta->codeOf(all[1].id).value().size() == 1);
  CHECK(meta->metricsOf(run).value().size() == 2);
  // The hit is one row: its bindings and code are read through the execution it reused.
  for (const char* table : {"execution_inputs", "execution_outputs", "execution_code"})
    CHECK(countRows(dir, table, all[1].id) == "0");
  CHECK(countRows(dir, "execution_outputs", src) == "1");

  // A binding to an artifact nobody recorded fails the whole batch, and so does a hit of an
  // execution that does not exist.
  ExecutionIo stray{{{"x", artifact("never recorded")}}, {}, {}, {}};
  CHECK_FALSE(meta->recordExecutions({{hit, io}, {skipped, stray}}).ok());
  ExecutionRecord orphan = hit;
  orphan.cachedFrom = src + 1000;
  CHECK_FALSE(meta->recordExecutions({{hit, io}, {orphan, io}}).ok());
  CHECK(meta->executionsOf(run).value().size() == 3);
}

TEST_CASE("recordExecutions keeps the order of a long mixed batch, and fails it whole",
          "[meta][cache]") {
  // Rows that are only a row (hits without metrics, skipped steps) go in many to a statement;
  // a hit with metrics goes in alone. Rows 0-99 are one full statement of 64 and 36 single rows.
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ArtifactRecord out = artifact("out");
  ExecutionIo io{{}, {{"y", out}}, {}, {}};
  int64_t src = meta->recordExecution(exec(run, "s", "k", ExecStatus::Succeeded), io).value();
  std::vector<std::pair<ExecutionRecord, ExecutionIo>> batch;
  for (int i = 0; i < 200; ++i) {
    ExecutionIo withMetrics{{}, {}, {}, {{"auc", i / 200.0}}};
    bool skipped = i % 7 == 3;
    ExecutionRecord e = exec(run, "n" + std::to_string(i), skipped ? "" : "k",
                             skipped ? ExecStatus::Skipped : ExecStatus::Cached);
    if (!skipped) e.cachedFrom = src;
    e.source = "f.mlp:" + std::to_string(i);
    batch.emplace_back(e, i == 100 || i == 150 ? withMetrics : ExecutionIo{});
  }
  REQUIRE(meta->recordExecutions(batch).ok());
  std::vector<ExecutionRecord> all = meta->executionsOf(run).value();
  REQUIRE(all.size() == 201);
  for (int i = 0; i < 200; ++i) {
    const ExecutionRecord& e = all[static_cast<size_t>(i) + 1];
    CHECK(e.node == "n" + std::to_string(i));
    CHECK(e.source == "f.mlp:" + std::to_string(i));
    CHECK(e.status == batch[static_cast<size_t>(i)].first.status);
    CHECK(e.cachedFrom == batch[static_cast<size_t>(i)].first.cachedFrom);
  }
  CHECK(meta->metricsOf(run).value().size() == 2);
  CHECK(meta->outputsOf(all[1].id).value().at(0).artifact.hash == out.hash);

  // One bad row among the first 64 (a hit of an execution that does not exist) fails the batch,
  // and nothing of it stays.
  std::vector<std::pair<ExecutionRecord, ExecutionIo>> bad = batch;
  bad[40].first.cachedFrom = src + 100000;
  auto failed = meta->recordExecutions(bad);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error(), Catch::Matchers::Contains("'n0' to 'n63'"));
  CHECK(meta->executionsOf(run).value().size() == 201);
}

TEST_CASE("lineage: producer and consumers and cached re-use", "[meta][lineage]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ArtifactRecord raw = artifact("raw", "Dataset<csv>");
  ArtifactRecord clean = artifact("clean", "Dataset<parquet>");
  ArtifactRecord model = artifact("model", "Model");

  ExecutionIo prep{{{"raw", raw}}, {{"clean", clean}}, {}, {}};
  int64_t prepId =
      meta->recordExecution(exec(run, "prep", "k1", ExecStatus::Succeeded), prep).value();
  ExecutionIo train{{{"data", clean}}, {{"model", model}}, {}, {}};
  int64_t trainId =
      meta->recordExecution(exec(run, "train", "k2", ExecStatus::Succeeded), train).value();
  ExecutionRecord cached = exec(run, "prep", "k1", ExecStatus::Cached);
  cached.cachedFrom = prepId;
  int64_t cachedId = meta->recordExecution(cached, prep).value();
  ExecutionIo eval{{{"model", model}, {"data", clean}}, {}, {}, {}};
  int64_t evalId =
      meta->recordExecution(exec(run, "eval", "k3", ExecStatus::Succeeded), eval).value();

  CHECK(meta->getExecution(cachedId).value().cachedFrom == prepId);
  CHECK(meta->producerOf(clean.hash).value()->id == prepId);
  CHECK(meta->producerOf(model.hash).value()->id == trainId);
  CHECK_FALSE(meta->producerOf(raw.hash).value().has_value());
  std::vector<ExecutionRecord> consumers = meta->consumersOf(clean.hash).value();
  REQUIRE(consumers.size() == 2);
  CHECK(consumers[0].id == trainId);
  CHECK(consumers[1].id == evalId);
  // A hit reads what the execution it reused read, though it has no input rows of its own.
  std::vector<ExecutionRecord> rawReaders = meta->consumersOf(raw.hash).value();
  REQUIRE(rawReaders.size() == 2);
  CHECK(rawReaders[0].id == prepId);
  CHECK(rawReaders[1].id == cachedId);
  CHECK(meta->inputsOf(cachedId).value().at(0).artifact.hash == raw.hash);
  CHECK(meta->outputsOf(cachedId).value().at(0).artifact.hash == clean.hash);
  CHECK(meta->inputsOf(cachedId + 1000).value().empty());
  CHECK(meta->getArtifact(clean.hash).value()->type == "Dataset<parquet>");
}

TEST_CASE("artifact hash prefixes resolve uniquely", "[meta][lineage]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string h1 = "abc1" + std::string(60, '0');
  std::string h2 = "abc2" + std::string(60, '0');
  REQUIRE(meta->recordArtifact({h1, store::ArtifactKind::File, 1, "", 0}).ok());
  REQUIRE(meta->recordArtifact({h2, store::ArtifactKind::Dir, 2, "", 0}).ok());
  CHECK(meta->resolveArtifact("abc1").value() == h1);
  CHECK(meta->resolveArtifact("ABC2").value() == h2);
  CHECK(meta->resolveArtifact(h1).value() == h1);
  Result<std::string> amb = meta->resolveArtifact("abc");
  REQUIRE(!amb.ok());
  CHECK_THAT(amb.error(),
             Catch::Contains("ambiguous") && Catch::Contains(h1) && Catch::Contains(h2));
  CHECK_THAT(meta->resolveArtifact("ffff").error(), Catch::Contains("no artifact"));
  CHECK_FALSE(meta->resolveArtifact("xyz").ok());
  CHECK_FALSE(meta->resolveArtifact("").ok());
}

TEST_CASE("numeric fields of a Metrics document become metrics", "[meta][metrics]") {
  std::vector<Metric> m =
      numericMetrics(R"({"acc":0.9,"eval":{"f1":0.8,"name":"x","ok":true},"loss":[1,0.5]})")
          .value();
  std::vector<Metric> expected = {{"acc", 0.9}, {"eval.f1", 0.8}, {"loss[0]", 1}, {"loss[1]", 0.5}};
  CHECK(m == expected);
  CHECK_FALSE(numericMetrics("{not json").ok());
}

TEST_CASE("the file hash cache persists in meta.db", "[meta][hashcache]") {
  store::ScopedTempDir dir = tempDir();
  std::string f = dir / "input.csv";
  std::ofstream(f) << "1,2,3\n";
  timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
  REQUIRE(::utimensat(AT_FDCWD, f.c_str(), times, 0) == 0);
  {
    auto meta = openMeta(dir);
    MetaHashCacheBackend backend(*meta);
    store::HashCache cache(&backend);
    REQUIRE(cache.hashFile(f).ok());
    REQUIRE(cache.flush().ok());
    CHECK(cache.misses() == 1);
  }
  auto meta = openMeta(dir);
  MetaHashCacheBackend backend(*meta);
  store::HashCache cache(&backend);
  CHECK(cache.hashFile(f).value() == store::sha256Bytes("1,2,3\n"));
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 0);
}

TEST_CASE("the model registry numbers versions and keeps their history", "[meta][registry]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::string run = newRunId(*meta);
  ArtifactRecord model = artifact("model-bytes", "Model");
  REQUIRE(meta->recordArtifact(model).ok());

  NewModelVersion nv;
  nv.group = "churn";
  nv.artifactHash = model.hash;
  nv.runId = run;
  nv.metricsJson = R"({"auc":0.91})";
  nv.actor = "ci";
  ModelVersion v1 = meta->registerVersion(nv).value();
  ModelVersion v2 = meta->registerVersion(nv).value();
  nv.group = "other";
  ModelVersion o1 = meta->registerVersion(nv).value();
  CHECK(v1.version == 1);
  CHECK(v2.version == 2);
  CHECK(o1.version == 1);
  CHECK(v1.status == "registered");

  ModelVersion promoted =
      meta->transitionVersion("churn", 2, "production", "alice", "beats v1").value();
  CHECK(promoted.status == "production");
  CHECK(meta->getVersion("churn", 2).value().status == "production");
  CHECK(meta->getVersion("churn", 2).value().runId == run);
  std::vector<ModelVersionEvent> events = meta->versionEvents("churn", 2).value();
  REQUIRE(events.size() == 2);
  CHECK_FALSE(events[0].fromStatus.has_value());
  CHECK(events[0].toStatus == "registered");
  CHECK(events[1].fromStatus == "registered");
  CHECK(events[1].toStatus == "production");
  CHECK(events[1].actor == "alice");
  CHECK(events[1].comment == "beats v1");
  CHECK(meta->listVersions("churn").value().size() == 2);
  CHECK_FALSE(meta->getVersion("churn", 3).ok());

  nv.artifactHash = store::sha256Bytes("unknown");
  Result<ModelVersion> bad = meta->registerVersion(nv);
  REQUIRE(!bad.ok());
  CHECK_THAT(bad.error(), Catch::Contains("not recorded"));
}
