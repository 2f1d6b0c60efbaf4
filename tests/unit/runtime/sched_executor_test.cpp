// The executor over a FakeCommandRunner: scheduling order, -j, resources, retries, timeouts,
// cancellation, failure propagation, `fail`, `for` and `if` — with a real store and meta.db in
// a temporary workspace, and the plans compiled from fixtures/sched.mlp (see fixtures/regen.sh).
//
// No process runs. When the fake starts a command, the harness plays the step: it writes the
// step's declared outputs into $MLP_OUTPUT_DIR (the executor checks they exist) and scripts the
// start's outcome (exit code, virtual duration, hang) from what the test asked for that node.
#include "exec/fake_runner.h"
#include "exec/interrupt.h"
#include "meta/sqlite_db.h"
#include "meta/sqlite_meta_store.h"
#include "sched/executor.h"
#include "sched/step_command.h"
#include "store/store.h"
#include "store/temp_dir.h"
#include "store/workspace_lock.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace mlpc;
using exec::FakeOutcome;
using meta::ExecStatus;
using meta::RunStatus;
using plan::Json;

namespace {

constexpr double T0 = 1'700'000'000.0; // the fake's virtual clock at the start

Json loadPlan(const std::string& pipeline) {
  std::ifstream in(std::string(MLPC_SCHED_FIXTURES) + "/sched." + pipeline + ".plan.json");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

FakeOutcome exitsWith(int code, double seconds = 0) {
  FakeOutcome o;
  o.exitCode = code;
  o.durationSeconds = seconds;
  return o;
}

FakeOutcome takes(double seconds) {
  return exitsWith(0, seconds);
}

FakeOutcome hangs() {
  FakeOutcome o;
  o.hang = true;
  return o;
}

std::string envOf(const exec::CommandSpec& spec, const std::string& name) {
  for (auto& [k, v] : spec.env)
    if (k == name) return v;
  return "";
}

store::ScopedTempDir makeTempDir() {
  return mlpc::testing::scratchDir("mlpc-sched-");
}

/// Remembers every progress event.
struct RecordingProgress : sched::Progress {
  std::vector<sched::ProgressEvent> events;
  void emit(const sched::ProgressEvent& e) override { events.push_back(e); }
  size_t count(const std::string& event, const std::string& node = "") const {
    return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](auto& e) {
      return e.event == event && (node.empty() || e.node == node);
    }));
  }
};

/// A workspace, a fake runner that plays the steps, and the record of what started.
struct Harness {
  store::ScopedTempDir dir = makeTempDir();
  std::unique_ptr<store::Store> store;
  std::unique_ptr<meta::SqliteMetaStore> meta;
  exec::FakeCommandRunner runner{T0};
  RecordingProgress progress;
  Json plan;
  std::optional<plan::Plan> typed;

  // What the test asks for, by node key ("a", "t[1]").
  std::map<std::string, std::vector<FakeOutcome>> outcomes; ///< per attempt; the last repeats
  std::map<std::string, Json> metrics;                      ///< Metrics outputs' documents
  std::set<std::string> writesNothing;                      ///< "forgets" its outputs

  // What happened.
  std::vector<std::string> startedNodes; ///< in start order
  std::vector<double> startedAt;         ///< virtual time of each start
  std::vector<std::string> attemptEnv;   ///< $MLP_ATTEMPT of each start
  std::map<std::string, int> starts;     ///< per node

  Harness() {
    exec::clearInterrupt();
    std::ofstream(dir / "src.txt") << "source data\n";
    auto s = store::Store::open(dir / ".mlp");
    REQUIRE(s);
    store = std::make_unique<store::Store>(std::move(*s));
    auto m = meta::SqliteMetaStore::open(dir / ".mlp");
    REQUIRE(m);
    meta = std::move(*m);
    runner.setOnStart([this](const exec::CommandSpec& spec) { play(spec); });
  }
  ~Harness() { exec::clearInterrupt(); }

  void play(const exec::CommandSpec& spec) {
    std::string node = envOf(spec, "MLP_NODE"), step = envOf(spec, "MLP_STEP");
    std::string outDir = envOf(spec, "MLP_OUTPUT_DIR");
    int attempt = starts[node]++;
    startedNodes.push_back(node);
    startedAt.push_back(runner.now());
    attemptEnv.push_back(envOf(spec, "MLP_ATTEMPT"));
    if (auto it = outcomes.find(node); it != outcomes.end() && !it->second.empty())
      runner.scriptId(
          spec.id,
          {it->second[std::min<size_t>(static_cast<size_t>(attempt), it->second.size() - 1)]});
    if (writesNothing.count(node)) return;
    for (auto& o : plan["steps"][step]["outputs"]) {
      std::string name = o["name"].get<std::string>(), type = o.value("type", "");
      std::ofstream f(outDir + "/" + sched::outputFileName(name, type));
      if (type.rfind("Metrics", 0) == 0)
        f << (metrics.count(node) ? metrics[node] : Json{{"auc", 0.5}}).dump();
      else
        f << node << "." << name << ": " << spec.command << "\n"; // differs when the command does
    }
  }

  /// The plan as the executor reads it (plan::read, as `mlpc run` does).
  const plan::Plan& typedPlan() {
    std::string err;
    typed = plan::read(plan, err);
    INFO(err);
    REQUIRE(typed);
    return *typed;
  }

  sched::RunSummary run(const Json& p, int jobs = 4, double cpus = 16, bool keepGoing = false,
                        bool noCache = false) {
    plan = p;
    sched::RunOptions o;
    o.baseDir = dir.path();
    o.entry = "sched.mlp";
    o.jobs = jobs;
    o.cpus = cpus;
    o.keepGoing = keepGoing;
    o.noCache = noCache;
    o.actor = "tester";
    sched::Executor ex(typedPlan(), o, *store, *meta, runner, progress);
    return ex.run();
  }

  std::vector<sched::PlanDecision> dryRun(const Json& p) {
    plan = p;
    sched::RunOptions o;
    o.baseDir = dir.path();
    o.dryRun = true;
    o.jobs = 4;
    o.cpus = 16;
    sched::Executor ex(typedPlan(), o, *store, *meta, runner, progress);
    (void)ex.run();
    return ex.decisions();
  }

  double startOf(const std::string& node) const {
    auto it = std::find(startedNodes.begin(), startedNodes.end(), node);
    REQUIRE(it != startedNodes.end());
    return startedAt[static_cast<size_t>(it - startedNodes.begin())];
  }
  size_t indexOf(const std::string& node) const {
    auto it = std::find(startedNodes.begin(), startedNodes.end(), node);
    REQUIRE(it != startedNodes.end());
    return static_cast<size_t>(it - startedNodes.begin());
  }
  bool started(const std::string& node) const { return starts.count(node) > 0; }

  std::map<std::string, meta::ExecutionRecord> executions(const std::string& runId) {
    auto ex = meta->executionsOf(runId);
    REQUIRE(ex);
    std::map<std::string, meta::ExecutionRecord> out;
    for (auto& e : *ex)
      out[e.node] = e;
    return out;
  }
};

} // namespace

TEST_CASE("sched: steps start only after the steps they read have finished", "[sched]") {
  Harness h;
  h.outcomes = {{"a", {takes(1)}},
                {"b", {takes(3)}},
                {"c", {takes(1)}},
                {"_d", {takes(1)}},
                {"_e", {takes(5)}}};
  auto s = h.run(loadPlan("dag"), /*jobs=*/4);
  REQUIRE(s.status == RunStatus::Succeeded);
  CHECK(s.exitCode == 0);
  CHECK(s.counts.ran == 5);
  CHECK(h.startedNodes.size() == 5);
  for (auto& [node, n] : h.starts)
    CHECK(n == 1);
  // a -> b, a -> c, (b, c) -> d; e reads only the data and starts at once, beside a.
  CHECK(h.startOf("a") == T0);
  CHECK(h.startOf("_e") == T0);
  CHECK(h.startOf("b") >= h.startOf("a") + 1);
  CHECK(h.startOf("c") >= h.startOf("a") + 1);
  CHECK(h.startOf("_d") >= h.startOf("b") + 3);
  CHECK(h.startOf("_d") >= h.startOf("c") + 1);
  CHECK(h.runner.maxConcurrency() == 3); // b, c and e
  auto ex = h.executions(s.runId);
  CHECK(ex.size() == 5);
  for (auto& [node, e] : ex)
    CHECK(e.status == ExecStatus::Succeeded);
}

TEST_CASE("sched: with -j 1 the order is still a topological one", "[sched]") {
  Harness h;
  auto s = h.run(loadPlan("dag"), /*jobs=*/1);
  REQUIRE(s.status == RunStatus::Succeeded);
  CHECK(h.runner.maxConcurrency() == 1);
  REQUIRE(h.startedNodes.size() == 5);
  CHECK(h.indexOf("a") < h.indexOf("b"));
  CHECK(h.indexOf("a") < h.indexOf("c"));
  CHECK(h.indexOf("b") < h.indexOf("_d"));
  CHECK(h.indexOf("c") < h.indexOf("_d"));
}

TEST_CASE("sched: -j limits how many commands run at once", "[sched]") {
  for (int jobs : {1, 2, 3, 8}) {
    DYNAMIC_SECTION("-j " << jobs) {
      Harness h;
      h.runner.setDefaultOutcome(takes(1));
      auto s = h.run(loadPlan("wide"), jobs);
      REQUIRE(s.status == RunStatus::Succeeded);
      CHECK(s.counts.ran == 8);
      CHECK(h.runner.maxConcurrency() == static_cast<size_t>(jobs));
      // 8 one-second steps in waves of `jobs`.
      CHECK(h.runner.now() - T0 == Approx((8 + jobs - 1) / jobs));
    }
  }
}

TEST_CASE("sched: the slot a step leaves is filled before its outputs are stored; not after a "
          "failure",
          "[sched]") {
  // Storing waits for the disk (fsyncs): a step already waiting starts first.
  Harness h;
  h.runner.setDefaultOutcome(takes(1));
  auto s = h.run(loadPlan("wide"), /*jobs=*/1);
  REQUIRE(s.status == RunStatus::Succeeded);
  auto& ev = h.progress.events;
  auto firstDone =
      std::find_if(ev.begin(), ev.end(), [](auto& e) { return e.event == "succeeded"; });
  REQUIRE(firstDone != ev.end());
  CHECK(std::count_if(ev.begin(), firstDone, [](auto& e) { return e.event == "started"; }) == 2);

  // A process that fails stops the run before anything else starts (no --keep-going).
  Harness f;
  f.runner.setDefaultOutcome(exitsWith(3, 1));
  auto failed = f.run(loadPlan("wide"), /*jobs=*/1);
  CHECK(failed.status == RunStatus::Failed);
  CHECK(f.startedNodes.size() == 1);
}

TEST_CASE("sched: cpu requests limit concurrency; a step larger than the machine runs alone",
          "[sched]") {
  SECTION("4 cores, steps of 2 cpus: two at a time even with -j 8") {
    Harness h;
    h.runner.setDefaultOutcome(takes(1));
    auto s = h.run(loadPlan("heavy"), /*jobs=*/8, /*cpus=*/4);
    REQUIRE(s.status == RunStatus::Succeeded);
    CHECK(h.runner.maxConcurrency() == 2);
    CHECK(h.runner.now() - T0 == Approx(2));
  }
  SECTION("1 core: each 2-cpu step still runs, alone") {
    Harness h;
    h.runner.setDefaultOutcome(takes(1));
    auto s = h.run(loadPlan("heavy"), /*jobs=*/8, /*cpus=*/1);
    REQUIRE(s.status == RunStatus::Succeeded);
    CHECK(s.counts.ran == 4);
    CHECK(h.runner.maxConcurrency() == 1);
  }
  SECTION("resource requests stay out of the cache key") {
    Harness h;
    Json p = loadPlan("heavy");
    REQUIRE(h.run(p).counts.ran == 4);
    p["steps"]["Heavy"]["resources"]["cpu"] = 3;
    p["steps"]["Heavy"]["resources"]["memory_bytes"] = 1024;
    auto s = h.run(p);
    CHECK(s.counts.ran == 0);
    CHECK(s.counts.cached == 4);
  }
}

TEST_CASE("sched: a failing step is retried with backoff and then succeeds", "[sched][retry]") {
  Harness h;
  h.outcomes["r"] = {exitsWith(1), exitsWith(2), exitsWith(0)};
  auto wall = std::chrono::steady_clock::now();
  auto s = h.run(loadPlan("retry"));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  REQUIRE(s.status == RunStatus::Succeeded);
  CHECK(h.starts["r"] == 3);
  CHECK(h.starts["_after"] == 1);
  CHECK(h.indexOf("_after") == 3); // after the third try of r
  CHECK(h.progress.count("retrying", "r") == 2);
  CHECK(h.progress.count("started", "r") == 1); // one "started" per step, not per try
  auto ex = h.executions(s.runId);
  CHECK(ex["r"].status == ExecStatus::Succeeded);
  CHECK(ex["r"].attempts == 3);
  CHECK(s.counts.ran == 2);
  CHECK(s.counts.failed == 0);
  // The back-off is 50 ms, doubling: 50 + 100 ms between the tries. The executor waits for it on
  // the wall clock (it has no clock seam), so it is measured on the wall clock here.
  CHECK(secs >= 0.14);
  bool sawDetail = false;
  for (auto& e : h.progress.events)
    if (e.event == "retrying" && e.detail.find("attempt 2 of 3") != std::string::npos)
      sawDetail = e.detail.find("exited with code 1") != std::string::npos;
  CHECK(sawDetail);
}

TEST_CASE("sched: each try of a retried step sees its own $MLP_ATTEMPT", "[sched][retry]") {
  // Regression test (fixed; was: runtime/sched/executor.cpp, buildEnv): MLP_ATTEMPT is rendered
  // once, when the step is prepared (attempt 0), so every try of a retried step sees MLP_ATTEMPT=1.
  Harness h;
  h.outcomes["r"] = {exitsWith(1), exitsWith(1), exitsWith(0)};
  auto s = h.run(loadPlan("retry"));
  REQUIRE(s.status == RunStatus::Succeeded);
  REQUIRE(h.attemptEnv.size() == 4);
  CHECK(h.attemptEnv[0] == "1");
  CHECK(h.attemptEnv[1] == "2");
  CHECK(h.attemptEnv[2] == "3");
}

TEST_CASE("sched: a step failing every try fails the run and skips its dependents",
          "[sched][retry]") {
  Harness h;
  h.outcomes["r"] = {exitsWith(3)};
  auto s = h.run(loadPlan("retry"));
  CHECK(s.status == RunStatus::Failed);
  CHECK(s.exitCode == 1);
  CHECK(h.starts["r"] == 3);
  CHECK_FALSE(h.started("_after"));
  CHECK(s.counts.failed == 1);
  CHECK(s.counts.skipped == 1);
  CHECK(h.progress.count("retrying", "r") == 2);
  CHECK(h.progress.count("skipped", "_after") == 1);
  auto ex = h.executions(s.runId);
  CHECK(ex["r"].status == ExecStatus::Failed);
  CHECK(ex["r"].attempts == 3);
  CHECK(ex["r"].exitCode == 3);
  CHECK(s.message.find("exited with code 3") != std::string::npos);
  CHECK(s.message.find("sched.mlp:") != std::string::npos); // points at the .mlp line
}

TEST_CASE("sched: a step past its timeout is killed and marked timed_out", "[sched]") {
  Harness h;
  h.outcomes["s"] = {hangs()};
  auto s = h.run(loadPlan("slow"));
  CHECK(s.status == RunStatus::Failed);
  CHECK(s.exitCode == 1);
  CHECK(h.runner.now() == Approx(T0 + 1)); // timeout = 1s (virtual)
  CHECK_FALSE(h.started("_after"));
  auto ex = h.executions(s.runId);
  CHECK(ex["s"].status == ExecStatus::TimedOut);
  CHECK(s.message.find("timed out after 1") != std::string::npos);
}

TEST_CASE("sched: an interrupt cancels what runs, starts nothing more, exits 130", "[sched]") {
  SECTION("a chain, interrupted during its second step") {
    Harness h;
    h.runner.setDefaultOutcome(takes(10));
    h.runner.scheduleInterrupt(T0 + 15);
    auto s = h.run(loadPlan("chain"));
    CHECK(s.status == RunStatus::Interrupted);
    CHECK(s.exitCode == 130);
    CHECK(h.startedNodes == std::vector<std::string>{"a", "b"});
    auto ex = h.executions(s.runId);
    CHECK(ex["a"].status == ExecStatus::Succeeded);
    CHECK(ex["b"].status == ExecStatus::Cancelled);
    CHECK_FALSE(h.started("c"));
    REQUIRE(ex.count("c") == 1); // recorded, so `mlpc show` lists it, but never started
    CHECK(ex["c"].status == ExecStatus::Skipped);
    CHECK(ex["c"].error == "`b` did not succeed");
    CHECK(s.counts.ran == 1);
    auto run = h.meta->getRun(s.runId);
    REQUIRE(run);
    CHECK(run->status == RunStatus::Interrupted);
  }
  SECTION("a wide fan-out with -j 2: the queued steps never start") {
    Harness h;
    h.runner.setDefaultOutcome(takes(10));
    h.runner.scheduleInterrupt(T0 + 5);
    auto s = h.run(loadPlan("wide"), /*jobs=*/2);
    CHECK(s.status == RunStatus::Interrupted);
    CHECK(s.exitCode == 130);
    CHECK(h.startedNodes.size() == 2);
    CHECK(s.counts.ran == 0);
    CHECK(s.counts.skipped == 8);
    size_t cancelled = 0;
    for (auto& [node, e] : h.executions(s.runId)) {
      CHECK(e.status != ExecStatus::Running);
      if (e.status == ExecStatus::Cancelled) ++cancelled;
    }
    CHECK(cancelled >= 2);
  }
}

TEST_CASE("sched: a failure skips its dependents; --keep-going runs independent branches",
          "[sched]") {
  SECTION("without --keep-going nothing new starts after the failure") {
    Harness h;
    h.outcomes["a"] = {exitsWith(1)};
    auto s = h.run(loadPlan("branches"), /*jobs=*/1);
    CHECK(s.status == RunStatus::Failed);
    CHECK(s.exitCode == 1);
    CHECK(h.startedNodes == std::vector<std::string>{"a"});
    CHECK(s.counts.failed == 1);
  }
  SECTION("with --keep-going the branch that does not read `a` still runs") {
    Harness h;
    h.outcomes["a"] = {exitsWith(1)};
    auto s = h.run(loadPlan("branches"), /*jobs=*/1, 16, /*keepGoing=*/true);
    CHECK(s.status == RunStatus::Failed);
    CHECK(s.exitCode == 1);
    CHECK(h.started("a"));
    CHECK_FALSE(h.started("_b"));
    CHECK(h.started("c"));
    CHECK(h.started("_d"));
    CHECK(s.counts.ran == 2);
    CHECK(s.counts.failed == 1);
    CHECK(s.counts.skipped == 1);
    CHECK(h.progress.count("skipped", "_b") == 1);
  }
}

TEST_CASE("sched: `fail` ends the run with its message", "[sched]") {
  Harness h;
  h.metrics["s"] = {{"auc", 0.25}};
  auto s = h.run(loadPlan("failing"), /*jobs=*/1);
  CHECK(s.status == RunStatus::Failed);
  CHECK(s.exitCode == 1);
  CHECK(s.message.find("score 0.25 is too low") != std::string::npos);
  CHECK(s.message.find("sched.mlp:") != std::string::npos);
  auto run = h.meta->getRun(s.runId);
  REQUIRE(run);
  CHECK(run->status == RunStatus::Failed);
  CHECK(run->message.find("score 0.25 is too low") != std::string::npos);
}

TEST_CASE("sched: `for` fans out one execution per element; a lifted list waits for all",
          "[sched]") {
  Harness h;
  Json p = loadPlan("sweep");
  for (auto& prm : p["pipeline"]["params"])
    if (prm["name"] == "ns") prm["value"] = Json::array({5, 6, 7, 8});
  h.metrics["t[0]"] = {{"auc", 0.1}};
  h.metrics["t[1]"] = {{"auc", 0.9}};
  h.metrics["t[2]"] = {{"auc", 0.5}};
  h.metrics["t[3]"] = {{"auc", 0.7}};
  h.runner.setDefaultOutcome(takes(1));
  auto s = h.run(p, /*jobs=*/2);
  REQUIRE(s.status == RunStatus::Succeeded);
  for (const char* n : {"t[0]", "t[1]", "t[2]", "t[3]", "_all"})
    CHECK(h.starts[n] == 1);
  CHECK(h.indexOf("_all") == 4); // after every iteration
  CHECK(h.startOf("_all") >= T0 + 2);
  auto ex = h.executions(s.runId);
  CHECK(ex.size() == 5);
  // The loop variable reaches each iteration's command.
  std::set<std::string> commands;
  for (auto& spec : h.runner.started())
    commands.insert(spec.command);
  for (const char* c : {"train 5", "train 6", "train 7", "train 8"})
    CHECK(commands.count(c) == 1);
  // argmax picked t[1] (auc 0.9), and `approval = auto` registered it as Approved.
  auto outs = h.meta->outputsOf(ex["t[1]"].id);
  REQUIRE(outs);
  std::string best;
  for (auto& b : *outs)
    if (b.name == "model") best = b.artifact.hash;
  auto vs = h.meta->listVersions("grp");
  REQUIRE(vs);
  REQUIRE(vs->size() == 1);
  CHECK((*vs)[0].artifactHash == best);
  CHECK((*vs)[0].status == "Approved");
}

TEST_CASE("sched: `if` takes the branch its Metrics value decides", "[sched]") {
  for (double auc : {0.9, 0.1}) {
    DYNAMIC_SECTION("auc " << auc) {
      Harness h;
      h.metrics["s"] = {{"auc", auc}};
      auto s = h.run(loadPlan("gate"));
      REQUIRE(s.status == RunStatus::Succeeded);
      CHECK(h.started("_hi") == (auc > 0.5));
      CHECK(h.started("_lo") == (auc <= 0.5));
      CHECK(s.counts.ran == 2);
    }
  }
}

TEST_CASE("sched: an unchanged second run starts nothing; plan predicts it", "[sched][cache]") {
  Harness h;
  Json p = loadPlan("dag");
  auto first = h.run(p);
  REQUIRE(first.status == RunStatus::Succeeded);
  size_t startsAfterFirst = h.startedNodes.size();
  auto decisions = h.dryRun(p);
  CHECK(decisions.size() == 5);
  for (auto& d : decisions)
    CHECK(d.verdict == "cached");
  auto second = h.run(p);
  REQUIRE(second.status == RunStatus::Succeeded);
  CHECK(h.startedNodes.size() == startsAfterFirst);
  CHECK(second.counts.cached == 5);
  CHECK(second.counts.ran == 0);
  for (auto& [node, e] : h.executions(second.runId)) {
    CHECK(e.status == ExecStatus::Cached);
    CHECK(e.cachedFrom.has_value());
  }
  SECTION("--no-cache runs everything again") {
    auto third = h.run(p, 4, 16, false, /*noCache=*/true);
    CHECK(third.counts.ran == 5);
    CHECK(third.counts.cached == 0);
  }
  SECTION("a changed argument re-runs that step and what reads it") {
    for (auto& n : p["nodes"])
      if (n["id"] == "b") n["args"]["name"]["lit"] = "b2";
    auto third = h.run(p);
    CHECK(third.counts.cached == 3); // a, c, e
    CHECK(third.counts.ran == 2);    // b, and d because b's output changed
  }
}

TEST_CASE("sched: a step that exits 0 without writing its output fails, naming it", "[sched]") {
  Harness h;
  h.writesNothing.insert("b");
  auto s = h.run(loadPlan("dag"), /*jobs=*/1);
  CHECK(s.status == RunStatus::Failed);
  CHECK(s.message.find("did not write its output `out`") != std::string::npos);
  CHECK(s.message.find("sched.mlp:") != std::string::npos);
  CHECK_FALSE(h.started("_d"));
  auto ex = h.executions(s.runId);
  CHECK(ex["b"].status == ExecStatus::Failed);
}

TEST_CASE("sched: a command that cannot be spawned fails the step with the reason", "[sched]") {
  Harness h;
  FakeOutcome o;
  o.spawnError = "no such workdir";
  h.outcomes["a"] = {o};
  auto s = h.run(loadPlan("chain"));
  CHECK(s.status == RunStatus::Failed);
  CHECK(s.message.find("no such workdir") != std::string::npos);
  CHECK(h.startedNodes == std::vector<std::string>{"a"});
}

TEST_CASE("sched: each step's row is committed before its command starts, and so is the end "
          "of every step it reads",
          "[sched][batch]") {
  Harness h;
  std::map<std::string, std::string> seen; ///< node -> the executions committed at its start
  h.runner.setOnStart([&](const exec::CommandSpec& spec) {
    // Another process's view: only what is committed.
    auto db = meta::sqlite::Db::open(h.dir / ".mlp/meta.db", 1000);
    REQUIRE(db);
    auto q = db->query("SELECT ' ' || group_concat(node || ':' || status, ' ') || ' ' FROM "
                       "(SELECT node, status FROM executions ORDER BY node)");
    REQUIRE(q);
    REQUIRE(q->step().value());
    seen[envOf(spec, "MLP_NODE")] = q->text(0);
    h.play(spec);
  });
  h.outcomes = {{"a", {takes(1)}},
                {"b", {takes(3)}},
                {"c", {takes(1)}},
                {"_d", {takes(1)}},
                {"_e", {takes(5)}}};
  auto s = h.run(loadPlan("dag"), /*jobs=*/2);
  REQUIRE(s.status == RunStatus::Succeeded);
  REQUIRE(seen.size() == 5);
  for (const char* node : {"a", "b", "c", "_d", "_e"})
    CHECK_THAT(seen[node], Catch::Contains(std::string(" ") + node + ":running "));
  // a -> b, a -> c, (b, c) -> d
  for (const char* node : {"b", "c"})
    CHECK_THAT(seen[node], Catch::Contains(" a:succeeded "));
  CHECK_THAT(seen["_d"], Catch::Contains(" b:succeeded c:succeeded "));
}

TEST_CASE("sched: a run holds the workspace lock shared, so a repair cannot remove its objects",
          "[sched][verify]") {
  Harness h;
  std::vector<bool> exclusiveRefused;
  h.runner.setOnStart([&](const exec::CommandSpec& spec) {
    auto x = store::WorkspaceLock::tryExclusive(h.store->workspace());
    REQUIRE(x);
    exclusiveRefused.push_back(!x->has_value());
    h.play(spec);
  });
  auto s = h.run(loadPlan("dag"));
  REQUIRE(s.status == RunStatus::Succeeded);
  CHECK(exclusiveRefused == std::vector<bool>(5, true));
  // Released with the executor.
  CHECK(store::WorkspaceLock::tryExclusive(h.store->workspace()).value().has_value());
}
