// Step properties evaluated per call (runtime/sched/step_props): plain values and expressions
// over the step's arguments mean the same; kinds and ranges are checked with messages that name
// the property and where it is written.
#include "sched/step_props.h"

#include "plan/model.h"

#include <catch2/catch.hpp>

using namespace mlpc;
using plan::Json;

namespace {
Json expr(const std::string& arg, const std::string& type) {
  return Json{{"expr", {{"arg", arg}}}, {"type", type}, {"range", "p.mlp:3:13-3:14"}};
}
Json def() {
  return Json{{"resources", {{"cpu", 1}, {"memory_bytes", nullptr}, {"gpu", 0}}},
              {"timeout_s", nullptr},
              {"retry", {{"attempts", 1}, {"backoff_s", 0}}},
              {"cache", {{"enabled", true}, {"expire_s", nullptr}}}};
}
/// The definition as the typed plan reads it: `d` inside a minimal plan.
plan::StepDef typed(Json d) {
  for (auto [k, v] : {std::pair<const char*, Json>{"dir", "."},
                      {"params", Json::array()},
                      {"outputs", Json::array()},
                      {"run", Json{{"lit", "true"}, {"type", "string"}}},
                      {"image", nullptr},
                      {"code", Json::array()},
                      {"env", Json::object()}})
    if (!d.contains(k)) d[k] = v;
  Json p{{"format", "mlpc-plan"},
         {"version", 1},
         {"pipeline", {{"name", "p"}, {"params", Json::array()}}},
         {"steps", {{"S", d}}},
         {"nodes", Json::array()},
         {"data", Json::object()}};
  std::string err;
  auto r = plan::read(p, err);
  INFO(err);
  REQUIRE(r);
  return *r->steps.find("S");
}
} // namespace

TEST_CASE("step props: the defaults of an empty definition", "[sched][props]") {
  std::string err;
  auto p = sched::evaluateStepProps(typed(def()), Json::object(), err);
  REQUIRE(p);
  CHECK(p->cpu == 1);
  CHECK(p->attempts == 1);
  CHECK(p->timeoutSeconds == 0);
  CHECK(p->cacheEnabled);
  CHECK_FALSE(p->expireSeconds);
}

TEST_CASE("step props: a literal and an argument give the same values", "[sched][props]") {
  Json lit = def();
  lit["timeout_s"] = 1.5;
  lit["retry"]["attempts"] = 3;
  lit["cache"]["enabled"] = false;
  lit["resources"]["cpu"] = 0.5;
  Json viaArgs = def();
  viaArgs["timeout_s"] = expr("t", "duration");
  viaArgs["retry"]["attempts"] = expr("k", "int");
  viaArgs["cache"]["enabled"] = expr("c", "bool");
  viaArgs["resources"]["cpu"] = expr("n", "float");
  Json args{{"t", 1.5}, {"k", 3}, {"c", false}, {"n", 0.5}};
  std::string err;
  auto a = sched::evaluateStepProps(typed(lit), Json::object(), err);
  auto b = sched::evaluateStepProps(typed(viaArgs), args, err);
  REQUIRE(a);
  REQUIRE(b);
  for (auto* p : {&*a, &*b}) {
    CHECK(p->timeoutSeconds == 1.5);
    CHECK(p->attempts == 3);
    CHECK_FALSE(p->cacheEnabled);
    CHECK(p->cpu == 0.5);
  }
}

TEST_CASE("step props: an expiry from an argument", "[sched][props]") {
  Json d = def();
  d["cache"]["expire_s"] = expr("e", "duration");
  std::string err;
  auto p = sched::evaluateStepProps(typed(d), Json{{"e", 3600.0}}, err);
  REQUIRE(p);
  CHECK(p->cacheEnabled);
  REQUIRE(p->expireSeconds);
  CHECK(*p->expireSeconds == 3600.0);
}

TEST_CASE("step props: out of range, wrong kind, not computable", "[sched][props]") {
  std::string err;
  Json d = def();
  d["retry"]["attempts"] = expr("k", "int");
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json{{"k", 0}}, err));
  CHECK(err == "`retry.attempts` is 0, and must be at least 1 (p.mlp:3:13-3:14)");

  d = def();
  d["timeout_s"] = expr("t", "duration");
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json{{"t", 0.0}}, err));
  CHECK(err == "`timeout` is 0s, and must be greater than 0s (p.mlp:3:13-3:14)");

  d = def();
  d["resources"]["cpu"] = expr("n", "float");
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json{{"n", "two"}}, err));
  CHECK(err == "`resources.cpu` is two, which is not a number (p.mlp:3:13-3:14)");
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json::object(), err));
  CHECK(err == "cannot compute `resources.cpu` (p.mlp:3:13-3:14): no parameter `n`");

  d = def();
  d["retry"]["attempts"] = 2.5; // a hand-edited plan: plain values are checked too
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json::object(), err));
  CHECK(err == "`retry.attempts` is 2.5, and must be a whole number");

  d = def();
  d["cache"]["enabled"] = expr("c", "bool");
  CHECK_FALSE(sched::evaluateStepProps(typed(d), Json{{"c", 1}}, err));
  CHECK(err == "`cache` is 1, which is not a bool (p.mlp:3:13-3:14)");
}
