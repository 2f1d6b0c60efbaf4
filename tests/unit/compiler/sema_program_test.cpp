// The semantic stage on whole programs, written to a temporary directory and checked in memory:
// types of bindings, resolutions and call bindings, transform's server, and the errors that the
// checker must catch.
#include "sema/sema.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mlpc;

namespace {

class TempDir {
public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("mlpc-sema-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path write(const std::string& rel, const std::string& text) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

struct Checked {
  SourceManager sm;
  DiagnosticSink sink;
  std::unique_ptr<sema::Program> prog;

  std::vector<std::string> codes() const {
    std::vector<std::string> v;
    for (auto& d : sink.diagnostics())
      v.push_back(diagInfo(d.code).code);
    return v;
  }
  bool has(DiagCode c) const {
    return std::any_of(sink.diagnostics().begin(), sink.diagnostics().end(),
                       [&](const Diagnostic& d) { return d.code == c; });
  }
  const Diagnostic& first(DiagCode c) const {
    for (auto& d : sink.diagnostics())
      if (d.code == c) return d;
    FAIL("no diagnostic " << diagInfo(c).code);
    throw;
  }
  std::string text(SourceRange r) const { return std::string(sm.text(r)); }
  /// The assignment `name = …` anywhere in the entry module's pipelines.
  const ast::AssignStmt& binding(const std::string& name) const {
    const ast::AssignStmt* found = nullptr;
    std::function<void(const ast::Block&)> walk = [&](const ast::Block& b) {
      for (auto& s : b.stmts) {
        if (s->kind == ast::StmtKind::Assign && s->as<ast::AssignStmt>().name.name == name)
          found = &s->as<ast::AssignStmt>();
        if (s->kind == ast::StmtKind::For) walk(s->as<ast::ForStmt>().body);
        if (s->kind == ast::StmtKind::If) {
          walk(s->as<ast::IfStmt>().then);
          walk(s->as<ast::IfStmt>().otherwise);
        }
      }
    };
    for (auto* p : prog->pipelines())
      walk(p->body);
    REQUIRE(found);
    return *found;
  }
  std::string typeOf(const std::string& name) const {
    return prog->typeOf(binding(name).value.get()).str();
  }
};

std::unique_ptr<Checked> check(const fs::path& entry, bool withStdlib = true,
                               bool checkFiles = true) {
  auto c = std::make_unique<Checked>();
  sema::Options opts;
  if (withStdlib) opts.stdlibDirs = {std::string(MLPC_TEST_SOURCE_DIR) + "/stdlib"};
  opts.checkFiles = checkFiles;
  c->prog = sema::analyze(entry.string(), opts, c->sm, c->sink);
  c->sink.sort(c->sm);
  return c;
}

std::unique_ptr<Checked> checkText(const std::string& text, bool checkFiles = true) {
  TempDir dir;
  return check(dir.write("main.mlp", text), true, checkFiles);
}

const char* kChurn = R"(import "std/sklearn"

data customers: Dataset<csv> = file("data/customers.csv")

step Prepare(raw: Dataset<csv>, test_fraction: float = 0.2) -> (train: Dataset<csv>, test: Dataset<csv>) {
  run = "prepare ${raw} ${test_fraction} ${train} ${test}"
}

model churn {
  serve = sklearn.Serve
}

pipeline train_churn(threshold: float = 0.85, trees: int = 200) {
  split = Prepare(customers)
  m = sklearn.Train(data = split.train, trees = trees, label = "churned")
  scores = sklearn.Evaluate(model = m, data = split.test, label = "churned")
  auc = scores.auc
  predicted = transform(model = m, data = split.test)
  for depth in [2, 4] {
    swept = sklearn.Train(data = split.train, label = "churned", max_depth = depth)
  }
  best = argmax(swept, [0.5, 0.7])
  n = len(swept) + len([predicted])
  if auc >= threshold and n > 0 {
    register best in churn with { metrics: scores }
  } else {
    fail "AUC ${auc} is below ${threshold}"
  }
}
)";

} // namespace

TEST_CASE("a valid program: no diagnostics, and the type of every binding", "[sema][program]") {
  auto c = checkText(kChurn);
  INFO(renderAllText(c->sink, c->sm, {}));
  REQUIRE(c->sink.diagnostics().empty());
  REQUIRE(c->prog->entry);
  CHECK(c->prog->modules.size() == 2);
  REQUIRE(c->prog->pipelines().size() == 1);
  CHECK(c->prog->pipelines()[0]->name.name == "train_churn");
  CHECK(c->typeOf("split") == "{train: Dataset<csv>, test: Dataset<csv>}");
  CHECK(c->typeOf("m") == "Model<sklearn>");
  CHECK(c->typeOf("scores") ==
        "Metrics{auc: float, accuracy: float, precision: float, recall: float, f1: float, "
        "mse: float, rmse: float, mae: float, r2: float, error_std: float, rows: int}");
  CHECK(c->typeOf("auc") == "float");
  CHECK(c->typeOf("predicted") == "Dataset<csv>");
  CHECK(c->typeOf("swept") == "Model<sklearn>"); // inside its loop
  CHECK(c->typeOf("best") == "Model<sklearn>");  // argmax over the lifted list<Model<sklearn>>
  CHECK(c->typeOf("n") == "int");
}

TEST_CASE("facts kept in the nodes: types, resolutions, binding types; none for others",
          "[sema][program]") {
  auto c = checkText(kChurn);
  REQUIRE(c->sink.diagnostics().empty());
  const sema::Program& p = *c->prog;
  // A binding's own type, and the type and resolution of a name that uses it.
  const sema::Type* m = p.bindingType(&c->binding("m"));
  REQUIRE(m);
  CHECK(m->str() == "Model<sklearn>");
  const auto& call = c->binding("scores").value->as<ast::CallExpr>();
  CHECK(p.hasType(&call));
  const ast::Expr* modelArg = call.args[0].value.get();
  CHECK(p.typeOf(modelArg).str() == "Model<sklearn>");
  const sema::Resolution* r = p.resolution(modelArg);
  REQUIRE(r);
  CHECK(r->kind == sema::RefKind::Binding);
  CHECK(r->stmt == &c->binding("m"));
  // A member resolved inside another module (`sklearn.Evaluate`) keeps that module.
  const sema::Resolution* callee = p.resolution(call.callee.get());
  REQUIRE(callee);
  CHECK(callee->kind == sema::RefKind::Decl);
  REQUIRE(callee->module);
  CHECK(callee->module->stdlibName == "std/sklearn");
  CHECK(p.typeOf(call.callee.get()).kind == sema::TypeKind::Step);
  // A literal has a type and no resolution.
  const ast::Expr* weights = c->binding("best").value->as<ast::CallExpr>().args[1].value.get();
  CHECK(p.typeOf(weights).str() == "list<float>");
  CHECK(p.resolution(weights) == nullptr);
  // An expression the checker never saw, and no expression at all: the error type, nothing else.
  ast::NameExpr stranger(SourceRange{}, "m");
  CHECK_FALSE(p.hasType(&stranger));
  CHECK(p.typeOf(&stranger).isError());
  CHECK(p.resolution(&stranger) == nullptr);
  CHECK(p.typeOf(nullptr).isError());
  CHECK(p.resolution(nullptr) == nullptr);
  CHECK(p.bindingType(nullptr) == nullptr);
}

TEST_CASE("a fact set twice: the second replaces the first in the same slot", "[sema][program]") {
  SourceManager sm;
  sema::Program p(sm);
  ast::NameExpr e(SourceRange{}, "x");
  sema::Resolution first;
  first.kind = sema::RefKind::Binding;
  first.name = "first";
  p.setResolution(&e, first);
  const uint32_t slot = e.resolutionSlot;
  sema::Resolution second;
  second.kind = sema::RefKind::StepParam;
  second.name = "second";
  second.index = 3;
  p.setResolution(&e, second);
  // Overwritten where it was: no second entry, and the node's slot did not move.
  CHECK(e.resolutionSlot == slot);
  CHECK(p.resolutions.size() == 1);
  REQUIRE(p.resolution(&e));
  CHECK(p.resolution(&e)->kind == sema::RefKind::StepParam);
  CHECK(p.resolution(&e)->name == "second");
  CHECK(p.resolution(&e)->index == 3);
  // A binding's type set twice reads back as the second.
  ast::AssignStmt stmt(SourceRange{});
  p.setBindingType(&stmt, sema::Type::error());
  p.setBindingType(&stmt, sema::Type::list(sema::Type::of(sema::TypeKind::Int)));
  REQUIRE(p.bindingType(&stmt));
  CHECK(p.bindingType(&stmt)->str() == "list<int>");
}

TEST_CASE("call bindings: arguments by parameter index, defaults left null", "[sema][program]") {
  auto c = checkText(kChurn);
  REQUIRE(c->sink.diagnostics().empty());
  auto& m = c->binding("m");
  REQUIRE(m.value->kind == ast::ExprKind::Call);
  auto& call = m.value->as<ast::CallExpr>();
  const sema::CallBinding* cb = c->prog->call(&call);
  REQUIRE(cb);
  REQUIRE(cb->callee);
  CHECK(cb->callee->name.name == "Train");
  REQUIRE(cb->module);
  CHECK(cb->module->stdlibName == "std/sklearn");
  // Train(data, label, trees = 100, estimator, max_depth, learning_rate, c, seed, task)
  REQUIRE(cb->args.size() == 9);
  CHECK(c->text(cb->args[0]->range) == "split.train");
  CHECK(c->text(cb->args[1]->range) == "\"churned\"");
  CHECK(c->text(cb->args[2]->range) == "trees");
  for (size_t i = 3; i < 9; ++i)
    CHECK(cb->args[i] == nullptr);
  // `trees` resolves to the pipeline's parameter.
  const sema::Resolution* r = c->prog->resolution(cb->args[2]);
  REQUIRE(r);
  CHECK(r->kind == sema::RefKind::PipelineParam);
  CHECK(r->index == 1);
  // `split` in `split.train` is the binding.
  auto& member = cb->args[0]->as<ast::MemberExpr>();
  const sema::Resolution* sr = c->prog->resolution(member.object.get());
  REQUIRE(sr);
  CHECK(sr->kind == sema::RefKind::Binding);
  CHECK(sr->stmt == &c->binding("split"));
}

TEST_CASE("transform picks the one server in scope that accepts the model", "[sema][program]") {
  auto c = checkText(kChurn);
  auto& call = c->binding("predicted").value->as<ast::CallExpr>();
  const sema::CallBinding* cb = c->prog->call(&call);
  REQUIRE(cb);
  CHECK(cb->builtin == "transform");
  REQUIRE(cb->server);
  CHECK(cb->server->name.name == "Serve");
  REQUIRE(cb->serverModule);
  CHECK(cb->serverModule->stdlibName == "std/sklearn");
}

TEST_CASE("a loop's bindings are lists outside it, one level per loop", "[sema][program]") {
  auto c = checkText(R"(step S(x: int) -> (out: File) {
  run = "s ${x} ${out}"
}
pipeline p() {
  for i in range(3) {
    for j in [1, 2] {
      a = S(i + j)
    }
  }
  all = a
  first = a[0][1]
}
)");
  INFO(renderAllText(c->sink, c->sm, {}));
  REQUIRE(c->sink.errorCount() == 0);
  CHECK(c->typeOf("all") == "list<list<File>>");
  CHECK(c->typeOf("first") == "File");
}

TEST_CASE("Dataset is not a Dataset<csv>: a type mismatch at the argument", "[sema][program]") {
  auto c = checkText(R"(data any: Dataset = file("x")
step S(d: Dataset<csv>) -> (out: File) {
  run = "s ${d} ${out}"
}
pipeline p() {
  _x = S(any)
}
)");
  REQUIRE(c->codes() == std::vector<std::string>{"E004"});
  auto& d = c->first(DiagCode::TypeMismatch);
  CHECK(c->text(d.range) == "any");
  CHECK(d.message == "argument `d` of step `S` expects `Dataset<csv>`, found `Dataset`");
  REQUIRE(d.labels.size() == 1);
  CHECK(c->text(d.labels[0].range) == "Dataset<csv>");
}

TEST_CASE("argument errors: missing, unknown with a suggestion, repeated, too many",
          "[sema][program]") {
  auto c = checkText(R"(step S(a: int, b: int = 2) -> (out: File) {
  run = "s ${a} ${b} ${out}"
}
pipeline p() {
  _w = S()
  _x = S(1, bb = 3)
  _y = S(1, a = 2)
  _z = S(1, 2, 3)
  _v = S(b = 1, 2)
}
)");
  CHECK(c->has(DiagCode::MissingArgument));
  CHECK(c->has(DiagCode::UnknownArgument));
  CHECK(c->has(DiagCode::RepeatedArgument));
  CHECK(c->has(DiagCode::TooManyArguments));
  CHECK(c->has(DiagCode::PositionalAfterNamed));
  auto& unknown = c->first(DiagCode::UnknownArgument);
  CHECK(c->text(unknown.range) == "bb");
  REQUIRE_FALSE(unknown.notes.empty());
  CHECK(unknown.notes[0].message == "did you mean `b`?");
  CHECK(c->text(c->first(DiagCode::TooManyArguments).range) == "3");
}

TEST_CASE("unknown names suggest the closest visible one", "[sema][program]") {
  auto c = checkText(R"(pipeline p(threshold: float = 0.5) {
  if treshold > 1.0 {
    fail "x"
  }
}
)");
  auto& d = c->first(DiagCode::UnknownName);
  CHECK(c->text(d.range) == "treshold");
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].message == "did you mean `threshold`?");
  // `threshold` looks unused only because of the misspelling: no W001 echoes the error.
  CHECK_FALSE(c->has(DiagCode::UnusedName));
}

TEST_CASE("a dependency cycle lists the cycle", "[sema][program]") {
  auto c = checkText(R"(step S(x: File) -> (out: File) {
  run = "s ${x} ${out}"
}
pipeline p() {
  a = S(c)
  b = S(a)
  c = S(b)
}
)");
  auto& d = c->first(DiagCode::DependencyCycle);
  CHECK(d.message == "dependency cycle: a -> c -> b -> a");
  CHECK(d.notes.size() == 3);
  CHECK(c->sink.errorCount() == 1);
}

TEST_CASE("names bound in a branch are not visible after the if", "[sema][program]") {
  auto c = checkText(R"(step S(x: int) -> (out: File) {
  run = "s ${x} ${out}"
}
pipeline p(flag: bool = true) {
  if flag {
    inside = S(1)
  }
  _after = [inside]
}
)");
  auto& d = c->first(DiagCode::BranchScope);
  CHECK(c->text(d.range) == "inside");
  REQUIRE(d.labels.size() == 1);
  CHECK(c->sm.start(d.labels[0].range).line == 6);
}

TEST_CASE("conditions, units and percents", "[sema][program]") {
  auto c = checkText(R"(import "std/sklearn"
model g {
  serve = sklearn.Serve
}
endpoint e {
  model = g.approved
  rollback = latency_p99 > 1%
  capture = 120%
}
pipeline p(n: int = 1) {
  if n {
    fail "n"
  }
}
)");
  CHECK(c->has(DiagCode::ConditionNotBool));
  auto& unit = c->first(DiagCode::UnitMismatch);
  CHECK(c->text(unit.range) == "1%");
  CHECK(unit.message == "cannot use `>` on a duration and a percent");
  CHECK(c->text(c->first(DiagCode::PercentOutOfRange).range) == "120%");
}

TEST_CASE("register: into a non-model, and a flavour the group's server rejects",
          "[sema][program]") {
  auto c = checkText(R"(import "std/sklearn"
data d: Dataset<csv> = file("d.csv")
step TrainOnnx(data: Dataset<csv>) -> (model: Model<onnx>) {
  run = "t ${data} ${model}"
}
model g {
  serve = sklearn.Serve
}
pipeline p() {
  m = TrainOnnx(d)
  register m in g
  register m in d
}
)");
  auto& flavour = c->first(DiagCode::FlavourMismatch);
  CHECK(flavour.message ==
        "a `Model<onnx>` cannot go into `g`, whose server takes `Model<sklearn>`");
  CHECK(c->text(flavour.range) == "m");
  CHECK(c->text(c->first(DiagCode::NotAModelGroup).range) == "d");
}

TEST_CASE("imports: stem and alias bindings, not found, and cycles", "[sema][program]") {
  TempDir dir;
  dir.write("lib/helpers.mlp", R"(step H(x: int) -> (out: File) {
  run = "h ${x} ${out}"
}
)");
  dir.write("lib/a.mlp", "import \"./b.mlp\"\n");
  dir.write("lib/b.mlp", "import \"./a.mlp\"\n");
  auto ok = check(dir.write("ok.mlp", R"(import "./lib/helpers.mlp"
import "./lib/helpers" as h2
pipeline p() {
  _a = helpers.H(1)
  _b = h2.H(2)
}
)"));
  INFO(renderAllText(ok->sink, ok->sm, {}));
  CHECK(ok->sink.diagnostics().empty());
  CHECK(ok->prog->modules.size() == 2); // the same file is loaded once

  auto missing =
      check(dir.write("missing.mlp", "import \"./lib/nope.mlp\"\nimport \"std/nothing\"\n"));
  CHECK(missing->codes() == std::vector<std::string>{"E010", "E010"});

  auto cycle = check(dir.write("cycle.mlp", "import \"./lib/a.mlp\"\n"));
  auto& d = cycle->first(DiagCode::ImportCycle);
  CHECK(d.message == "import cycle: a.mlp -> b.mlp -> a.mlp");
  fs::path where = cycle->sm.file(d.range.file).path();
  CHECK(where.filename() == "b.mlp");
  CHECK(where.parent_path().filename() == "lib");

  auto noStd = check(dir.write("nostd.mlp", "import \"std/sklearn\"\n"), /*withStdlib=*/false);
  auto& n = noStd->first(DiagCode::ImportNotFound);
  CHECK(n.notes.back().message == "no stdlib directory is configured (set MLP_PATH)");
}

TEST_CASE("code files: checked when asked; W002 for a local script not listed", "[sema][program]") {
  TempDir dir;
  dir.write("steps/run.py", "print(1)\n");
  const char* text = R"(step S(x: File) -> (out: File) {
  code = ["steps/missing.py"]
  run = "python3 steps/run.py ${x} ${out}"
}
)";
  auto on = check(dir.write("main.mlp", text));
  CHECK(on->codes() == std::vector<std::string>{"E026", "W002"});
  CHECK(on->text(on->first(DiagCode::UncachedLocalFile).range) == "steps/run.py");
  auto off = check(dir.path() / "main.mlp", true, /*checkFiles=*/false);
  CHECK(off->sink.diagnostics().empty());
}

TEST_CASE("unused parameters and bindings are warnings; `_` silences them", "[sema][program]") {
  auto c = checkText(R"(step S(x: int, _y: int = 0) -> (out: File) {
  run = "s ${x} ${out}"
}
pipeline p(unused: int = 1, _quiet: bool = true) {
  a = S(1)
  _b = S(2)
}
)");
  CHECK(c->sink.errorCount() == 0);
  CHECK(c->sink.warningCount() == 2);
  CHECK(c->codes() == std::vector<std::string>{"W001", "W001"});
}

TEST_CASE("an unreadable entry file gives E033 and no program entry", "[sema][program]") {
  TempDir dir;
  auto c = check(dir.path() / "nope.mlp");
  CHECK(c->codes() == std::vector<std::string>{"E033"});
  CHECK(c->prog->entry == nullptr);
  CHECK_FALSE(c->sink.diagnostics()[0].range.valid());
}

TEST_CASE("after a syntax error the checker stays quiet", "[sema][program]") {
  auto c = checkText("pipeline p() {\n  a = S(\n}\n");
  for (auto& d : c->sink.diagnostics())
    CHECK(d.code == DiagCode::SyntaxError);
  CHECK(c->sink.errorCount() >= 1);
}

TEST_CASE("MLP_PATH lists stdlib roots, colon-separated, before the built-in one", "[sema]") {
  const char* old = std::getenv("MLP_PATH");
  std::string saved = old ? old : "";
  ::setenv("MLP_PATH", "/first::/second", 1);
  auto dirs = sema::defaultStdlibDirs("/nonexistent/bin/mlpc");
  if (old)
    ::setenv("MLP_PATH", saved.c_str(), 1);
  else
    ::unsetenv("MLP_PATH");
  REQUIRE(dirs.size() >= 2);
  CHECK(dirs[0] == "/first");
  CHECK(dirs[1] == "/second");
}
