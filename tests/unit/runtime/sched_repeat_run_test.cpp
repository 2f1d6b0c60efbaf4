// sched::planMayRepeat: what in a plan or a run's options keeps a fully cached re-run from
// repeating the run before it (everything a look-up per step could decide differently).
#include "plan/plan.h"
#include "sched/repeat_run.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

using namespace mlpc;
using plan::Json;

namespace {

Json fixture(const std::string& name) {
  std::ifstream in(std::string(MLPC_SCHED_FIXTURES) + "/sched." + name + ".plan.json");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

bool mayRepeat(const Json& j, const sched::RunOptions& opts = {}) {
  std::string err;
  std::optional<plan::Plan> p = plan::read(j, err);
  INFO(err);
  REQUIRE(p);
  return sched::planMayRepeat(*p, opts);
}

} // namespace

TEST_CASE("a plan of step calls, loops and conditions may repeat; options that decide per step "
          "may not",
          "[sched][repeat]") {
  Json dag = fixture("dag");
  CHECK(mayRepeat(dag));
  CHECK(mayRepeat(fixture("gate")));    // an `if`
  CHECK(mayRepeat(fixture("heavy")));   // a `for`
  CHECK(mayRepeat(fixture("failing"))); // an `if` with a `fail`
  sched::RunOptions o;
  o.noCache = true;
  CHECK_FALSE(mayRepeat(dag, o));
  o = {};
  o.dryRun = true;
  CHECK_FALSE(mayRepeat(dag, o));
  o = {};
  o.repeatRuns = false; // MLP_NO_REPEAT
  CHECK_FALSE(mayRepeat(dag, o));
  o = {};
  o.registerVersions = false; // a reproduction
  CHECK_FALSE(mayRepeat(dag, o));
  o = {};
  o.reproductionOf = "churn:1";
  CHECK_FALSE(mayRepeat(dag, o));
  o = {};
  o.dataOverrides["raw"] = Json{{"$artifact", std::string(64, 'a')}, {"kind", "file"}};
  CHECK_FALSE(mayRepeat(dag, o));
}

TEST_CASE("a step whose cache or resources a look-up could decide on keeps a plan from "
          "repeating",
          "[sched][repeat]") {
  Json dag = fixture("dag");
  const std::string step = dag["steps"].begin().key();
  Json& def = dag["steps"][step];
  SECTION("cache = false") {
    def["cache"]["enabled"] = false;
    CHECK_FALSE(mayRepeat(dag));
  }
  SECTION("cache = true, written out") {
    def["cache"]["enabled"] = true;
    CHECK(mayRepeat(dag));
  }
  SECTION("results that expire") {
    def["cache"]["expire_s"] = 3600;
    CHECK_FALSE(mayRepeat(dag));
  }
  SECTION("a GPU, on a machine that has none") {
    def["resources"]["gpu"] = 1;
    CHECK_FALSE(mayRepeat(dag));
    sched::RunOptions cluster;
    cluster.clusterResources = true; // the cluster grants it: no check to make
    CHECK(mayRepeat(dag, cluster));
  }
  SECTION("more memory than the machine has") {
    def["resources"]["memory_bytes"] = 1 << 30;
    sched::RunOptions small;
    small.memoryBytes = 1 << 20;
    CHECK_FALSE(mayRepeat(dag, small));
    sched::RunOptions large;
    large.memoryBytes = 4.0 * (1 << 30);
    CHECK(mayRepeat(dag, large));
  }
}

TEST_CASE("a plan that registers a model or runs a batch transform never repeats",
          "[sched][repeat]") {
  CHECK_FALSE(mayRepeat(fixture("sweep"))); // a `register` after a `for`
  Json nested = fixture("sweep");           // the same `register` inside the `for`
  Json reg = nested["nodes"].back();
  nested["nodes"].erase(nested["nodes"].size() - 1);
  nested["nodes"][0]["body"].push_back(reg);
  CHECK_FALSE(mayRepeat(nested));
  std::ifstream in(std::string(MLPC_SCHED_FIXTURES) +
                   "/../../../golden/plans/batch_transform.mlp.plan.json.expected");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK_FALSE(mayRepeat(Json::parse(ss.str())));
}
