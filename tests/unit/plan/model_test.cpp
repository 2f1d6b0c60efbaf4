// The typed plan (plan/model.h): every golden plan reads into it and writes back with the
// same bytes, and expressions of a shape the format does not have are refused with their path.
#include "plan/model.h"
#include "plan/plan.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mlpc::plan;
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::vector<fs::path> goldenPlans() {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans"))
    if (e.path().string().size() > 23 &&
        e.path().string().substr(e.path().string().size() - 23) == ".mlp.plan.json.expected")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}
Plan readOk(const Json& j) {
  std::string err;
  auto p = read(j, err);
  INFO(err);
  REQUIRE(p.has_value());
  return *p;
}
std::string readError(const Json& j) {
  std::string err;
  auto p = read(j, err);
  CHECK_FALSE(p.has_value());
  return err;
}
} // namespace

TEST_CASE("every golden plan reads and writes back byte for byte", "[plan][model]") {
  auto plans = goldenPlans();
  REQUIRE(plans.size() >= 10);
  for (auto& f : plans) {
    INFO(f.filename().string());
    std::string bytes = slurp(f);
    Plan p = readOk(Json::parse(bytes));
    CHECK(dump(toJson(p)) == bytes);
  }
}

// `mlpc compile` writes a plan with `dump(const Plan&)`, which writes the text without building
// the JSON tree; `toJson` stays for the runtime and the exporters. The two must give the same
// bytes for every plan, or a plan would change with the path that wrote it.
TEST_CASE("the direct writer gives the bytes of dump(toJson) on every golden plan",
          "[plan][model]") {
  for (auto& f : goldenPlans()) {
    INFO(f.filename().string());
    std::string bytes = slurp(f);
    Plan p = readOk(Json::parse(bytes));
    CHECK(dump(p) == bytes);
    CHECK(dump(p) == dump(toJson(p)));
  }
}

TEST_CASE("the direct writer escapes and formats values as nlohmann does", "[plan][model]") {
  fs::path f =
      fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans/policies.mlp.plan.json.expected";
  Plan p = readOk(Json::parse(slurp(f)));
  // Text that needs escaping, non-ASCII text, DEL, and numbers of every JSON kind.
  p.pipeline.name = "quote\" back\\slash\ttab\nline \x01 \x7f caf\xc3\xa9 \xe2\x9c\x93";
  p.base = "";
  p.pipeline.params.push_back({"x\"y", "list<float>", Json::array({-0.0, 1e300, 0.1, 3.0}),
                               Json::object({{"nested", Json::array()}, {"o", Json::object()}}),
                               "1:2"});
  p.pipeline.params.push_back({"u", "int", Json(std::uint64_t{18446744073709551615ULL}),
                               Json(-9223372036854775807LL - 1), ""});
  p.data.add("d\u00e9", DataDecl{"Dataset<csv>", "file", "a\"b/c.csv", "3:4"});
  Node n;
  n.id = "v\n1";
  n.range = "5:6";
  n.body = ValueNode{literal(Json::object({{"k", Json::array({1, "two", nullptr, true})}}), "rec"),
                     "record"};
  p.nodes.push_back(n);
  p.edges.emplace_back("a\"", "\\b");
  CHECK(dump(p) == dump(toJson(p)));

  // Both refuse text that is not UTF-8, with the same exception.
  p.entry = "bad \xff byte";
  CHECK_THROWS_AS(dump(toJson(p)), Json::type_error);
  CHECK_THROWS_AS(dump(p), Json::type_error);
}

TEST_CASE("the typed model holds what the plan says", "[plan][model]") {
  fs::path f =
      fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans/policies.mlp.plan.json.expected";
  Plan p = readOk(Json::parse(slurp(f)));
  const Endpoint* canary = p.endpoints.find("canary_api");
  REQUIRE(canary);
  CHECK(canary->strategy.kind == "canary");
  CHECK(canary->strategy.sizePercent->get<double>() == 10.0);
  CHECK(canary->model->kind == ExprKind::Model);
  CHECK(canary->model->value == "approved");
  CHECK(canary->rollback->kind == ExprKind::Op);
  const Endpoint* linear = p.endpoints.find("linear_api");
  REQUIRE(linear);
  REQUIRE(linear->model->index);
  CHECK(linear->model->index->value == 3);
  CHECK(p.monitors.find("drift")->trainingDataBaseline);
  CHECK(p.schedules.find("nightly")->cron == Json("0 3 * * *"));
  CHECK(p.models.find("churn")->approval == "auto");
}

TEST_CASE("node kinds, nesting and references", "[plan][model]") {
  fs::path f = fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans/sweep.mlp.plan.json.expected";
  Plan p = readOk(Json::parse(slurp(f)));
  bool sawFor = false;
  for (auto& n : p.nodes)
    if (auto* loop = n.as<ForNode>()) {
      sawFor = true;
      CHECK(n.kind() == NodeKind::For);
      CHECK(std::string(n.kindName()) == "for");
      CHECK_FALSE(loop->body.empty());
      CHECK(n.children().size() == 1);
    }
  CHECK(sawFor);
}

TEST_CASE("an expression of an unknown form is refused with its path", "[plan][model]") {
  fs::path f = fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans/churn.mlp.plan.json.expected";
  Json j = Json::parse(slurp(f));
  Json bad = j;
  bad["nodes"][0]["args"].begin().value() = Json{{"x", 1}};
  std::string err = readError(bad);
  CHECK(err.find("\"nodes[0].args.") != std::string::npos);
  CHECK(err.find("unknown form") != std::string::npos);

  Json op = j;
  op["nodes"][0]["args"].begin().value() = Json{{"op", "+"}, {"args", Json::array({})}};
  CHECK(readError(op).find("operand") != std::string::npos);

  Json interp = j;
  interp["steps"].begin().value()["run"] = Json{{"interp", Json::array({7})}};
  CHECK(readError(interp).find(".run.interp[0]") != std::string::npos);

  Json edges = j;
  edges["edges"] = Json::array({Json::array({"a"})});
  CHECK(readError(edges).find("edges[0]") != std::string::npos);
}

TEST_CASE("an endpoint's autoscale is typed, and a bad one is refused with its path",
          "[plan][model]") {
  fs::path f =
      fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans/policies.mlp.plan.json.expected";
  Json j = Json::parse(slurp(f));
  Plan p = readOk(j);
  const Endpoint* scaled = p.endpoints.find("scaled_api");
  REQUIRE(scaled);
  REQUIRE(scaled->autoscale);
  CHECK(scaled->autoscale->minInstances == 2);
  CHECK(scaled->autoscale->maxInstances == 8);
  CHECK(scaled->autoscale->target == 600.0);
  CHECK(scaled->autoscale->scaleOutCooldownS == 300.0); // SageMaker's default
  CHECK(scaled->autoscale->scaleInCooldownS == 120.0);
  CHECK(scaled->instances == 2); // starts at min
  CHECK_FALSE(p.endpoints.find("canary_api")->autoscale);

  Json inverted = j;
  inverted["endpoints"]["scaled_api"]["autoscale"]["max"] = 1;
  CHECK(readError(inverted).find("endpoints.scaled_api.autoscale") != std::string::npos);
  Json missing = j;
  missing["endpoints"]["scaled_api"]["autoscale"].erase("target");
  CHECK(readError(missing).find("endpoints.scaled_api.autoscale.target") != std::string::npos);
  Json fractional = j;
  fractional["endpoints"]["scaled_api"]["autoscale"]["min"] = 1.5;
  CHECK(readError(fractional).find("whole numbers") != std::string::npos);
}
