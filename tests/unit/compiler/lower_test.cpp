// Lowering a checked program into a plan: determinism, pipeline selection (E031), --param values
// and errors (E032), and the plan's base directory.
#include "lower/lower.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mlpc;

namespace {

const char* kProgram = R"(import "std/sklearn"

data customers: Dataset<csv> = file("data/customers.csv")

step Prepare(raw: Dataset<csv>, seed: int = 42) -> (train: Dataset<csv>, test: Dataset<csv>) {
  run = "prepare ${raw} ${seed} ${train} ${test}"
  timeout = 1500ms
}

model churn {
  serve = sklearn.Serve
}

pipeline train(threshold: float = 0.85, trees: int = 200, wait: duration = 5m, label: string) {
  split = Prepare(customers)
  m = sklearn.Train(data = split.train, trees = trees, label = label)
  scores = sklearn.Evaluate(model = m, data = split.test, label = label)
  for depth in [2, 4] {
    _swept = sklearn.Train(data = split.train, label = label, max_depth = depth)
  }
  if scores.auc >= threshold {
    register m in churn with { metrics: scores, tags: { wait: "${wait}" } }
  } else {
    fail "AUC ${scores.auc} is below ${threshold}"
  }
}

pipeline other() {
  _s = Prepare(customers)
}
)";

struct Fixture {
  fs::path dir;
  fs::path entry;
  Fixture() {
    dir = fs::temp_directory_path() / ("mlpc-lower-test-" + std::to_string(::getpid()));
    fs::create_directories(dir / "sub");
    entry = dir / "main.mlp";
    std::ofstream(entry) << kProgram;
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

struct Lowered {
  SourceManager sm;
  DiagnosticSink sink;
  std::unique_ptr<sema::Program> prog;
  std::optional<plan::Json> plan;
  std::vector<std::string> codes() const {
    std::vector<std::string> v;
    for (auto& d : sink.diagnostics())
      v.push_back(diagInfo(d.code).code);
    return v;
  }
};

std::unique_ptr<Lowered> lower(const fs::path& entry, plan::LowerOptions lo) {
  auto l = std::make_unique<Lowered>();
  sema::Options opts;
  opts.stdlibDirs = {std::string(MLPC_TEST_SOURCE_DIR) + "/stdlib"};
  l->prog = sema::analyze(entry.string(), opts, l->sm, l->sink);
  REQUIRE(l->sink.errorCount() == 0);
  if (lo.planDir.empty()) lo.planDir = entry.parent_path().string();
  l->plan = plan::lower(*l->prog, lo, l->sink);
  l->sink.sort(l->sm);
  return l;
}

plan::LowerOptions opts(std::string pipeline,
                        std::vector<std::pair<std::string, std::string>> params = {}) {
  plan::LowerOptions lo;
  lo.pipeline = std::move(pipeline);
  lo.params = std::move(params);
  return lo;
}

} // namespace

TEST_CASE("lowering is deterministic: the same program gives the same bytes", "[plan][lower]") {
  Fixture f;
  auto a = lower(f.entry, opts("train", {{"label", "churned"}}));
  auto b = lower(f.entry, opts("train", {{"label", "churned"}}));
  REQUIRE(a->plan);
  REQUIRE(b->plan);
  CHECK(plan::dump(*a->plan) == plan::dump(*b->plan));
  // And lowering the same checked program twice.
  plan::LowerOptions lo = opts("train", {{"label", "churned"}});
  lo.planDir = f.dir.string();
  DiagnosticSink sink;
  auto again = plan::lower(*a->prog, lo, sink);
  REQUIRE(again);
  CHECK(plan::dump(*again) == plan::dump(*a->plan));
}

TEST_CASE("a lowered plan validates and has the documented sections", "[plan][lower]") {
  Fixture f;
  auto l = lower(f.entry, opts("train", {{"label", "churned"}}));
  REQUIRE(l->plan);
  const plan::Json& p = *l->plan;
  CHECK(plan::validate(p).empty());
  CHECK(p["format"] == "mlpc-plan");
  CHECK(p["version"] == 1);
  CHECK(p["base"] == ".");
  CHECK(p["entry"] == "main.mlp");
  CHECK(p["pipeline"]["name"] == "train");
  CHECK(p["data"].contains("customers"));
  CHECK(p["data"]["customers"]["path"] == "data/customers.csv");
  CHECK(p["steps"].contains("Prepare"));
  CHECK(p["steps"].contains("std/sklearn.Train"));
  CHECK(p["steps"]["Prepare"]["timeout_s"] == Approx(1.5));
  CHECK(p["servers"].contains("std/sklearn.Serve"));
  CHECK(p["models"]["churn"]["serve"] == "std/sklearn.Serve");
  std::vector<std::string> kinds;
  for (auto& n : p["nodes"])
    kinds.push_back(n["id"].get<std::string>() + ":" + n["kind"].get<std::string>());
  CHECK(kinds == std::vector<std::string>{"split:call", "m:call", "scores:call", "for@18:3:for",
                                          "if@21:3:if"});
  CHECK(p["nodes"][1]["args"]["data"] == plan::Json{{"ref", "split"}, {"output", "train"}});
}

TEST_CASE("param values: values replace defaults; every parameter ends up with a value",
          "[plan][lower]") {
  Fixture f;
  auto l = lower(f.entry, opts("train", {{"trees", "300"}, {"wait", "90s"}, {"label", "y"}}));
  REQUIRE(l->plan);
  CHECK(l->sink.diagnostics().empty());
  auto& params = (*l->plan)["pipeline"]["params"];
  REQUIRE(params.size() == 4);
  CHECK(params[0]["name"] == "threshold");
  CHECK(params[0]["value"] == Approx(0.85));
  CHECK(params[1]["value"] == 300);
  CHECK(params[1]["default"] == 200);
  CHECK(params[2]["value"] == Approx(90));
  CHECK(params[2]["default"] == Approx(300));
  CHECK(params[3]["value"] == "y");
  CHECK_FALSE(params[3].contains("default"));
}

TEST_CASE("E032: bad, unknown and missing --param values", "[plan][lower]") {
  Fixture f;
  auto l = lower(f.entry, opts("train", {{"trees", "many"}, {"tres", "3"}}));
  CHECK_FALSE(l->plan);
  CHECK(l->codes() == std::vector<std::string>{"E032", "E032", "E032"});
  std::vector<std::string> messages;
  for (auto& d : l->sink.diagnostics())
    messages.push_back(d.message);
  CHECK(std::find(messages.begin(), messages.end(), "--param trees: `many` is not an int") !=
        messages.end());
  CHECK(std::find(messages.begin(), messages.end(), "pipeline `train` has no parameter `tres`") !=
        messages.end());
  CHECK(std::find(messages.begin(), messages.end(),
                  "pipeline parameter `label` has no default: pass --param label=…") !=
        messages.end());
}

TEST_CASE("E031: no such pipeline, or several and none chosen", "[plan][lower]") {
  Fixture f;
  auto unknown = lower(f.entry, opts("trainn"));
  CHECK_FALSE(unknown->plan);
  REQUIRE(unknown->codes() == std::vector<std::string>{"E031"});
  auto& d = unknown->sink.diagnostics()[0];
  CHECK(d.message == "no pipeline `trainn` in " + f.entry.string());
  REQUIRE_FALSE(d.notes.empty());
  CHECK(d.notes[0].message == "did you mean `train`?");

  auto none = lower(f.entry, opts(""));
  CHECK_FALSE(none->plan);
  CHECK(none->codes() == std::vector<std::string>{"E031"});

  auto chosen = lower(f.entry, opts("other"));
  REQUIRE(chosen->plan);
  CHECK((*chosen->plan)["pipeline"]["name"] == "other");
}

TEST_CASE("the plan's base is the entry's directory relative to where the plan goes",
          "[plan][lower]") {
  Fixture f;
  plan::LowerOptions lo = opts("other");
  lo.planDir = (f.dir / "sub").string();
  auto l = lower(f.entry, lo);
  REQUIRE(l->plan);
  CHECK((*l->plan)["base"] == "..");
  lo.planDir = f.dir.string();
  auto same = lower(f.entry, lo);
  CHECK((*same->plan)["base"] == ".");
}

// Lowering builds the nodes as the typed plan and reads only the rest through the plan's
// reader, and `mlpc compile` writes that typed plan directly. So every golden program must lower
// to its expected bytes through that path, and those bytes must still read back through the
// whole reader (validate, then every expression) as the same plan: the check `compile` made on
// every plan before, kept here for every plan the golden tests compile.
TEST_CASE("every golden plan lowers to its expected bytes and reads back", "[plan][lower]") {
  fs::path dir = fs::path(MLPC_TEST_SOURCE_DIR) / "tests/golden/plans";
  int cases = 0;
  for (auto& entry : fs::directory_iterator(dir)) {
    fs::path src = entry.path();
    if (src.extension() != ".mlp") continue;
    fs::path expected = src;
    expected += ".plan.json.expected";
    if (!fs::exists(expected)) continue;
    INFO(src.filename().string());
    plan::LowerOptions lo;
    lo.planDir = dir.string();
    fs::path argsFile = src;
    argsFile += ".args";
    if (fs::exists(argsFile)) { // `--pipeline NAME` and `--param NAME=VALUE`, as run_golden.sh
      std::ifstream in(argsFile);
      std::string flag, value;
      while (in >> flag >> value) {
        if (flag == "--pipeline") lo.pipeline = value;
        if (flag == "--param") {
          auto eq = value.find('=');
          lo.params.emplace_back(value.substr(0, eq), value.substr(eq + 1));
        }
      }
    }
    SourceManager sm;
    DiagnosticSink sink;
    sema::Options opts;
    opts.stdlibDirs = {std::string(MLPC_TEST_SOURCE_DIR) + "/stdlib"};
    // Ranges name the file as given: compiled from its directory, as run_golden.sh does.
    fs::path cwd = fs::current_path();
    fs::current_path(dir);
    auto prog = sema::analyze(src.filename().string(), opts, sm, sink);
    fs::current_path(cwd);
    REQUIRE(sink.errorCount() == 0);
    std::string internal;
    auto typed = plan::lower(*prog, lo, sink, internal);
    CHECK(internal.empty());
    REQUIRE(typed);
    std::ifstream in(expected, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(plan::dump(*typed) == bytes);
    std::string err;
    auto again = plan::read(plan::Json::parse(bytes), err);
    INFO(err);
    REQUIRE(again);
    CHECK(plan::dump(*again) == bytes);
    ++cases;
  }
  CHECK(cases >= 10);
}

TEST_CASE("a binding's node is one shared reference for every use outside loops", "[plan][lower]") {
  Fixture f;
  fs::path entry = f.dir / "shared.mlp";
  std::ofstream(entry) << R"(step A() -> File {
  run = "a > ${out}"
}
step B(x: File, y: File) -> File {
  run = "cat ${x} ${y} > ${out}"
}
pipeline p() {
  a = A()
  b = B(a, a)
  c = B(b, a)
  for i in [1, 2] {
    _d = B(a, c)
  }
}
)";
  SourceManager sm;
  DiagnosticSink sink;
  sema::Options so;
  auto prog = sema::analyze(entry.string(), so, sm, sink);
  REQUIRE(sink.errorCount() == 0);
  plan::LowerOptions lo = opts("p");
  lo.planDir = f.dir.string();
  std::string internal;
  std::optional<plan::Plan> typed = plan::lower(*prog, lo, sink, internal);
  REQUIRE(typed);
  CHECK(internal.empty());
  REQUIRE(typed->nodes.size() == 4);
  auto arg = [](const plan::Node& n, size_t i) {
    const plan::CallNode* call = n.as<plan::CallNode>();
    REQUIRE(call);
    REQUIRE(call->args.size() > i);
    return call->args[i].value;
  };
  const plan::ExprP a = arg(typed->nodes[1], 0);
  REQUIRE(a);
  CHECK(a->kind == plan::ExprKind::Ref);
  CHECK(a->name == "a");
  CHECK(arg(typed->nodes[1], 1) == a);
  CHECK(arg(typed->nodes[2], 1) == a);
  const plan::ForNode* loop = typed->nodes[3].as<plan::ForNode>();
  REQUIRE(loop);
  REQUIRE(loop->body.size() == 1);
  CHECK(arg(loop->body[0], 0) == a);
  CHECK(arg(loop->body[0], 1)->name == "c");
  // Shared or not, the plan says the same as with each use written out.
  plan::Json j = plan::Json::parse(plan::dump(*typed));
  plan::Json refA = {{"ref", "a"}, {"output", "out"}};
  CHECK(j["nodes"][1]["args"]["x"] == refA);
  CHECK(j["nodes"][1]["args"]["y"] == refA);
  CHECK(j["nodes"][3]["body"][0]["args"]["x"] == refA);
}
