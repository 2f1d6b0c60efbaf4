// compiler/query on checked programs: what is at an offset, hover, definition, references,
// rename and the outline; and sema's overlay (an editor's unsaved text instead of the file).
#include "query/query.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mlpc;

namespace {

const char* kLib = R"(// Doubles every value.
step Double(d: Dataset<csv>, factor: int = 2) -> (result: Dataset<csv>, rows: Metrics) {
  run = "double --in ${d} --factor ${factor} --out ${result} --rows ${rows}"
}
)";

const char* kMain = R"(import "./lib.mlp" as lib

step Load(seed: int) -> Dataset<csv> {
  run = "load --seed ${seed} --out ${out}"
  timeout = 5m
}

pipeline p(seed: int = 1) {
  raw = Load(seed = seed)
  big = lib.Double(raw, factor = 3)
  _x  = lib.Double(big.result)
}
)";

struct Fixture {
  fs::path dir;
  SourceManager sm;
  DiagnosticSink sink;
  std::unique_ptr<sema::Program> prog;
  std::string text; ///< the entry file's text as checked

  explicit Fixture(std::string mainText = kMain, std::string overlayLib = "") {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("mlpc-query-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir);
    std::ofstream(dir / "lib.mlp") << kLib;
    std::ofstream(dir / "main.mlp") << mainText;
    text = mainText;
    sema::Options opts;
    std::string libPath = sema::canonicalPath((dir / "lib.mlp").string());
    opts.overlay = [=](const std::string& path, std::string& out) {
      if (overlayLib.empty() || path != libPath) return false;
      out = overlayLib;
      return true;
    };
    prog = sema::analyze((dir / "main.mlp").string(), opts, sm, sink);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  const sema::Module& entry() const { return *prog->entry; }
  uint32_t at(const std::string& needle, size_t delta = 0) const {
    size_t i = text.find(needle);
    REQUIRE(i != std::string::npos);
    return static_cast<uint32_t>(i + delta);
  }
  std::string textOf(SourceRange r) const { return std::string(sm.text(r)); }
  std::string fileOf(SourceRange r) const {
    return fs::path(query::moduleOfFile(*prog, r.file)->path).filename().string();
  }
};

} // namespace

TEST_CASE("locate finds the innermost name, member or argument") {
  Fixture f;
  REQUIRE(f.sink.errorCount() == 0);
  auto t = query::locate(f.entry().ast, f.at("lib.Double(raw", 4));
  CHECK(t.kind == query::TargetKind::MemberName);
  CHECK(f.textOf(t.range) == "Double");
  t = query::locate(f.entry().ast, f.at("factor = 3", 1));
  CHECK(t.kind == query::TargetKind::ArgName);
  t = query::locate(f.entry().ast, f.at("raw, factor", 3)); // just after the name
  CHECK(t.kind == query::TargetKind::Expr);
  CHECK(f.textOf(t.range) == "raw");
  t = query::locate(f.entry().ast, f.at("pipeline p", 9));
  CHECK(t.kind == query::TargetKind::DeclName);
  CHECK(query::locate(f.entry().ast, 0).kind == query::TargetKind::ImportPath);
}

TEST_CASE("hover: signatures with doc comments, types, unit values") {
  Fixture f;
  auto h = query::hover(*f.prog, f.entry(), f.at("lib.Double(raw", 4));
  REQUIRE(h);
  CHECK_THAT(h->markdown, Catch::Contains("step Double(d: Dataset<csv>, factor: int = 2) -> "
                                          "(result: Dataset<csv>, rows: Metrics)"));
  CHECK_THAT(h->markdown, Catch::Contains("Doubles every value."));
  h = query::hover(*f.prog, f.entry(), f.at("big = ", 1));
  REQUIRE(h);
  CHECK_THAT(h->markdown, Catch::Contains("(binding) big: {result: Dataset<csv>, rows: Metrics}"));
  h = query::hover(*f.prog, f.entry(), f.at("5m"));
  REQUIRE(h);
  CHECK_THAT(h->markdown, Catch::Contains("`5m` = 300 s"));
  CHECK_FALSE(query::hover(*f.prog, f.entry(), f.at("pipeline") - 1)); // blank line
}

TEST_CASE("definition: across an import, outputs, arguments") {
  Fixture f;
  auto d = query::definition(*f.prog, f.entry(), f.at("lib.Double(raw", 4));
  REQUIRE(d);
  CHECK(f.fileOf(*d) == "lib.mlp");
  CHECK(f.textOf(*d) == "Double");
  d = query::definition(*f.prog, f.entry(), f.at("big.result", 4));
  REQUIRE(d);
  CHECK(f.fileOf(*d) == "lib.mlp");
  CHECK(f.textOf(*d) == "result");
  d = query::definition(*f.prog, f.entry(), f.at("factor = 3"));
  REQUIRE(d);
  CHECK(f.fileOf(*d) == "lib.mlp");
  d = query::definition(*f.prog, f.entry(), f.at("seed = seed", 7));
  REQUIRE(d);
  CHECK(d->begin == f.at("seed: int = 1"));
}

TEST_CASE("references and rename") {
  Fixture f;
  auto refs = query::references(*f.prog, f.entry(), f.at("raw = "), true);
  REQUIRE(refs.size() == 2);
  CHECK(refs[0].begin == f.at("raw = "));
  CHECK(refs[1].begin == f.at("raw, factor"));
  // `factor`: the parameter, `${factor}` in the step's run, and the named argument.
  refs = query::references(*f.prog, f.entry(), f.at("factor = 3"), true);
  CHECK(refs.size() == 3);
  auto plan = query::planRename(*f.prog, f.entry(), f.at("raw = "), "source");
  CHECK(plan.error.empty());
  CHECK(plan.edits.size() == 2);
  plan = query::planRename(*f.prog, f.entry(), f.at("raw = "), "step");
  CHECK_THAT(plan.error, Catch::Contains("not a valid name"));
  plan = query::planRename(*f.prog, f.entry(), f.at("pipeline"), "x");
  CHECK_FALSE(plan.error.empty());
}

TEST_CASE("workspace: a file's local imports, from its syntax alone") {
  Fixture f;
  std::string main = sema::canonicalPath((f.dir / "main.mlp").string());
  auto imports = query::localImports(main, std::string("import \"std/sklearn\"\n") + kMain);
  REQUIRE(imports);
  CHECK(*imports == std::vector<std::string>{sema::canonicalPath((f.dir / "lib.mlp").string())});
  // Without `.mlp` (added as the loader adds it), and from a subdirectory.
  auto sub = sema::canonicalPath((f.dir / "sub" / "x.mlp").string());
  imports = query::localImports(sub, "import \"../lib\" as l\n");
  REQUIRE(imports);
  CHECK(*imports == std::vector<std::string>{sema::canonicalPath((f.dir / "lib.mlp").string())});
  CHECK_FALSE(query::localImports(main, std::string(kMain) + "\npipeline broken( {\n"));
}

TEST_CASE("workspace: the exported declaration under the cursor and its uses in an importer") {
  Fixture f;
  REQUIRE(f.sink.errorCount() == 0);
  // From a use in the importer: the step declared in lib.mlp.
  auto ex = query::exportedAt(*f.prog, f.entry(), f.at("lib.Double(raw", 4));
  REQUIRE(ex);
  CHECK(ex->path == sema::canonicalPath((f.dir / "lib.mlp").string()));
  CHECK(ex->name == "Double");
  CHECK(ex->offset == std::string(kLib).find("Double("));
  ex = query::exportedAt(*f.prog, f.entry(), f.at("factor = 3"));
  REQUIRE(ex);
  CHECK(ex->name == "factor");
  CHECK_FALSE(query::exportedAt(*f.prog, f.entry(), f.at("raw = ")));     // a binding
  CHECK_FALSE(query::exportedAt(*f.prog, f.entry(), f.at("lib.Double"))); // a module alias

  // lib.mlp checked on its own (as an editor has it open) does not load main.mlp ...
  SourceManager sm;
  DiagnosticSink sink;
  auto lib = sema::analyze((f.dir / "lib.mlp").string(), {}, sm, sink);
  auto fromDecl = query::exportedAt(*lib, *lib->entry,
                                    static_cast<uint32_t>(std::string(kLib).find("Double(")));
  REQUIRE(fromDecl);
  CHECK(query::references(*lib, *lib->entry, fromDecl->offset, false).empty());
  // ... but main.mlp's program finds its uses there.
  auto uses = query::usesIn(*f.prog, f.entry(), *fromDecl);
  REQUIRE(uses.size() == 2);
  CHECK(uses[0].begin == f.at("lib.Double(raw", 4));
  CHECK(uses[1].begin == f.at("lib.Double(big", 4));
  CHECK(query::renameRefusal(*f.prog, uses, "Double").empty());
  CHECK_THAT(query::renameRefusal(*f.prog, uses, "Dbl"),
             Catch::Contains("not written out everywhere"));
  // The parameter's named argument.
  auto factor = query::exportedAt(*lib, *lib->entry,
                                  static_cast<uint32_t>(std::string(kLib).find("factor: int")));
  REQUIRE(factor);
  uses = query::usesIn(*f.prog, f.entry(), *factor);
  REQUIRE(uses.size() == 1);
  CHECK(uses[0].begin == f.at("factor = 3"));
  // A declaration that moved since (a stale offset) finds nothing.
  auto stale = *fromDecl;
  stale.offset += 1;
  CHECK(query::usesIn(*f.prog, f.entry(), stale).empty());
}

TEST_CASE("the overlay's text is checked instead of the file's") {
  std::string changed = kLib;
  changed.replace(changed.find("(result: "), 9, "(scaled: ");
  changed.replace(changed.find("${result}"), 9, "${scaled}");
  Fixture f(kMain, changed);
  REQUIRE(f.sink.errorCount() == 1);
  CHECK(f.sink.diagnostics()[0].code == DiagCode::UnknownMember); // big.result
}

TEST_CASE("the outline survives syntax errors") {
  Fixture f(std::string(kMain) + "\npipeline broken( {\n");
  CHECK(f.sink.errorCount() > 0);
  auto syms = query::documentSymbols(f.entry().ast);
  std::vector<std::string> names;
  for (auto& s : syms)
    names.push_back(s.name);
  CHECK(std::find(names.begin(), names.end(), "Load") != names.end());
  CHECK(std::find(names.begin(), names.end(), "p") != names.end());
  for (auto& s : syms) {
    CHECK(s.selection.begin >= s.range.begin);
    CHECK(s.selection.end <= s.range.end);
  }
}

namespace {

const char* kEval =
    R"(step Eval(d: Dataset<csv>) -> (report: File, metrics: Metrics{auc: float, f1: float}) {
  run = "eval ${d} --report ${report} --out ${metrics}"
}

model churn {
  approval = manual
}

pipeline q(d: Dataset<csv>) {
  e = Eval(d)
  for x in [d] {
    each = Eval(x)
  }
}
)";

/// Completes at the end of `before` in the text `before + after`, with `f`'s program as the model.
query::Completions completeAt(const Fixture& f, const std::string& before,
                              const std::string& after = "\n",
                              const std::vector<std::string>& stdlib = {}) {
  return query::complete(before + after, static_cast<uint32_t>(before.size()), *f.prog, f.entry(),
                         stdlib);
}

const query::Completion* item(const query::Completions& c, const std::string& label) {
  for (auto& i : c.items)
    if (i.label == label) return &i;
  return nullptr;
}

/// `kMain` up to the end of its pipeline's last binding, before the closing brace.
std::string mainBody() {
  std::string s = kMain;
  return s.substr(0, s.rfind('}'));
}

} // namespace

TEST_CASE("completion: the names in scope in a half-typed pipeline") {
  Fixture f;
  REQUIRE(f.sink.errorCount() == 0);
  std::string before = mainBody() + "  z = lib.Double(b";
  auto c = completeAt(f, before, ")\n}\n");
  CHECK(c.replaceBegin == before.size() - 1); // the `b` typed so far
  CHECK(c.replaceEnd == before.size());
  REQUIRE(item(c, "big"));
  CHECK(item(c, "big")->detail == "{result: Dataset<csv>, rows: Metrics}");
  REQUIRE(item(c, "seed"));
  CHECK(item(c, "seed")->detail == "int");
  REQUIRE(item(c, "Load"));
  CHECK(item(c, "Load")->kind == query::CompletionKind::Function);
  CHECK(item(c, "Load")->detail == "step Load(seed: int) -> Dataset<csv>");
  REQUIRE(item(c, "lib"));
  CHECK(item(c, "lib")->kind == query::CompletionKind::Module);
  CHECK(item(c, "argmax"));
  CHECK(item(c, "raw"));
  CHECK_FALSE(item(c, "for")); // not at a statement's start
  // A new statement: the statement words too; the pipeline's own text has no closing brace yet.
  c = completeAt(f, mainBody() + "  ", "");
  CHECK(item(c, "for"));
  CHECK(item(c, "register"));
  CHECK(item(c, "big"));
}

TEST_CASE("completion: a call's argument names with their types") {
  Fixture f;
  auto c = completeAt(f, mainBody() + "  z = lib.Double(raw, ");
  REQUIRE(!c.items.empty());
  CHECK(c.items[0].label == "d");
  CHECK(c.items[0].detail == "d: Dataset<csv>");
  CHECK(c.items[0].insertText == "d = ");
  REQUIRE(item(c, "factor"));
  CHECK(item(c, "factor")->detail == "factor: int = 2");
  CHECK(item(c, "factor")->kind == query::CompletionKind::Field);
  CHECK(item(c, "raw")); // a positional value is a name in scope
  // Arguments already given are not offered again.
  c = completeAt(f, mainBody() + "  z = lib.Double(factor = 3, ");
  CHECK_FALSE(item(c, "factor"));
  CHECK(item(c, "d"));
  // A parameter named like a value in scope is offered as both.
  c = completeAt(f, mainBody() + "  z = Load(");
  CHECK(std::count_if(c.items.begin(), c.items.end(), [](auto& i) { return i.label == "seed"; }) ==
        2);
  // After `=` only values.
  c = completeAt(f, mainBody() + "  z = Load(seed = ");
  REQUIRE(item(c, "seed"));
  CHECK(item(c, "seed")->insertText.empty());
}

TEST_CASE("completion: outputs, metric fields and model versions after a dot") {
  Fixture f;
  auto c = completeAt(f, mainBody() + "  z = big.");
  REQUIRE(c.items.size() == 2);
  CHECK(item(c, "result")->detail == "Dataset<csv>");
  CHECK(item(c, "rows")->detail == "Metrics");
  c = completeAt(f, mainBody() + "  z = big.re");
  CHECK(c.items.size() == 2); // the client filters by the word typed
  c = completeAt(f, mainBody() + "  z = lib.");
  REQUIRE(item(c, "Double"));
  CHECK(item(c, "Double")->kind == query::CompletionKind::Function);

  Fixture g(kEval);
  REQUIRE(g.sink.errorCount() == 0);
  std::string body = std::string(kEval).substr(0, std::string(kEval).rfind('}'));
  c = completeAt(g, body + "  m = e.metrics.");
  REQUIRE(c.items.size() == 2);
  CHECK(item(c, "auc")->detail == "float");
  CHECK(item(c, "f1"));
  // Inside the loop: the loop variable, and a binding lifted out of it as a list.
  c = completeAt(g, body.substr(0, body.find("    each")) + "    y = ");
  REQUIRE(item(c, "x"));
  CHECK(item(c, "x")->detail == "Dataset<csv>");
  c = completeAt(g, body + "  m = e.");
  CHECK(c.items.size() == 2);
  CHECK(item(c, "report")->detail == "File");
  c = completeAt(g, body + "  m = each.");
  CHECK(item(c, "metrics"));
  c = completeAt(g, std::string(kEval) + "\nendpoint api {\n  model = churn.");
  CHECK(item(c, "approved"));
  CHECK(item(c, "latest"));
}

TEST_CASE("completion: the properties of each kind of declaration") {
  Fixture f;
  std::string text = kMain;
  // In Load's block, which sets run and timeout already.
  auto c = completeAt(f, text.substr(0, text.find("  timeout")) + "  re");
  REQUIRE(item(c, "retry"));
  CHECK(item(c, "retry")->kind == query::CompletionKind::Property);
  CHECK(item(c, "retry")->insertText == "retry = ");
  CHECK(item(c, "cache"));
  CHECK_FALSE(item(c, "run"));
  CHECK_FALSE(item(c, "health")); // a server's
  CHECK_FALSE(item(c, "big"));
  for (auto& p : sema::propertyNames(ast::DeclKind::Endpoint)) {
    c = completeAt(f, text + "\nendpoint api {\n  ", "\n}\n");
    CHECK(item(c, p));
  }
  c = completeAt(f, text + "\nmonitor drift {\n  every = 1h\n  ");
  CHECK(item(c, "alert"));
  CHECK_FALSE(item(c, "every"));
  // Names a property defines for its value.
  c = completeAt(f, text + "\nendpoint api {\n  rollback = requests > 10 or ");
  REQUIRE(item(c, "error_rate"));
  CHECK(item(c, "error_rate")->detail == "percent");
  CHECK(item(c, "latency_p99"));
  c = completeAt(f, text + "\nendpoint api {\n  strategy = ");
  CHECK(item(c, "canary"));
  CHECK_FALSE(item(c, "error_rate"));
  c = completeAt(f, text + "\nmonitor drift {\n  alert = ");
  CHECK(item(c, "psi"));
  // The value of a property: names, not properties.
  c = completeAt(f, text + "\nschedule nightly {\n  run = ");
  CHECK(item(c, "p"));
  CHECK_FALSE(item(c, "cron"));
}

TEST_CASE("completion: the fields of a record-valued property, from sema's one table") {
  Fixture f;
  std::string text = kMain;
  std::string inLoad = text.substr(0, text.find("  timeout"));
  auto c = completeAt(f, inLoad + "  resources = { ");
  REQUIRE(c.items.size() == sema::propertyFields(ast::DeclKind::Step, "resources")->size());
  REQUIRE(item(c, "memory"));
  CHECK(item(c, "memory")->kind == query::CompletionKind::Field);
  CHECK(item(c, "memory")->insertText == "memory: ");
  c = completeAt(f, inLoad + "  retry = { backoff: 1m, at");
  CHECK(c.items.size() == 1);
  CHECK(item(c, "attempts"));
  CHECK(c.replaceBegin == inLoad.size() + std::string("  retry = { backoff: 1m, ").size());
  c = completeAt(f, text + "\nendpoint api {\n  autoscale = {\n    min: 1,\n    ");
  CHECK(item(c, "target"));
  CHECK_FALSE(item(c, "min"));
  CHECK_THAT(item(c, "max")->detail, Catch::Contains("required"));
  // Not in a field's value, nor in a record that is not a property's (a run's env is free-form).
  c = completeAt(f, inLoad + "  resources = { cpu: ");
  CHECK_FALSE(item(c, "gpu"));
  c = completeAt(f, inLoad + "  env = { ");
  CHECK_FALSE(item(c, "cpu"));
}

TEST_CASE("completion: `${…}` in a step's strings names its parameters and outputs") {
  Fixture f;
  std::string text = kMain;
  std::string before = text.substr(0, text.find("${out}")) + "${";
  auto c = completeAt(f, before, "\"\n}\n");
  CHECK(item(c, "seed"));
  CHECK(item(c, "out")); // the unnamed output
  CHECK(c.items.size() == 2);
  CHECK(c.replaceBegin == before.size());
  c = completeAt(f, text.substr(0, text.find("${seed}")) + "${se", "}\"\n}\n");
  CHECK(item(c, "seed"));
  c = completeAt(f, text.substr(0, text.find("${seed}")) + "${seed} x", "\"\n}\n");
  CHECK(c.items.empty()); // after the closing brace
  // A server's strings: its parameters and the `port` the runtime gives it.
  Fixture server(std::string(kMain) + "\nserver Api(model: Model<sklearn>) {\n"
                                      "  run = \"serve ${model} --port ${port}\"\n}\n");
  c = completeAt(server, server.text.substr(0, server.text.find("${port}")) + "${", "\"\n}\n");
  CHECK(item(c, "model"));
  CHECK(item(c, "port"));
}

TEST_CASE("completion: stdlib modules in an import, declaration words, nothing in comments") {
  Fixture f;
  std::vector<std::string> mods = {"std/sklearn", "std/torch"};
  auto c = completeAt(f, "import \"std/s", "\n", mods);
  CHECK(c.items.size() == 2);
  CHECK(c.replaceBegin == 8); // after the quote
  CHECK(item(c, "std/sklearn")->kind == query::CompletionKind::Module);
  c = completeAt(f, "import \"", "\"\n", mods);
  CHECK(c.items.size() == 2);
  c = completeAt(f, std::string(kMain) + "\npi");
  CHECK(item(c, "pipeline"));
  CHECK(item(c, "import"));
  CHECK_FALSE(item(c, "raw"));
  CHECK(completeAt(f, mainBody() + "  // raw").items.empty());
  CHECK(completeAt(f, mainBody() + "  z = \"ra").items.empty());
  CHECK(completeAt(f, mainBody() + "  z = 5").items.empty());
}

namespace {
/// The semantic token that starts at `offset`, or null.
const query::SemanticToken* tokenAt(const std::vector<query::SemanticToken>& ts, uint32_t offset) {
  for (auto& t : ts)
    if (t.begin == offset) return &t;
  return nullptr;
}
} // namespace

TEST_CASE("semantic tokens: names by what they are, literals, comments") {
  Fixture f(std::string(kMain) + "// the end\n");
  REQUIRE(f.sink.errorCount() == 0);
  auto ts = query::semanticTokens(*f.prog, f.entry());
  for (size_t i = 1; i < ts.size(); ++i)
    CHECK(ts[i - 1].end <= ts[i].begin); // in order, never overlapping
  using T = query::SemanticType;
  auto is = [&](uint32_t at, T type, unsigned mods = 0) {
    const query::SemanticToken* t = tokenAt(ts, at);
    INFO("at " << at << ": " << f.text.substr(at, 12));
    REQUIRE(t);
    CHECK(t->type == type);
    CHECK(t->modifiers == mods);
  };
  is(f.at("import"), T::Keyword);
  is(f.at("\"./lib.mlp\""), T::String);
  is(f.at("lib\n"), T::Namespace, query::kDeclaration);
  is(f.at("step"), T::Keyword);
  is(f.at("Load("), T::Function, query::kDeclaration);
  is(f.at("seed: int"), T::Parameter, query::kDeclaration);
  is(f.at("int)"), T::Type);
  is(f.at("run ="), T::Property);
  is(f.at("5m"), T::Number, query::kUnit);
  is(f.at("raw = "), T::Variable, query::kDeclaration);
  is(f.at("Load(seed ="), T::Function);
  is(f.at("seed = seed"), T::Parameter);    // the named argument
  is(f.at("seed = seed", 7), T::Parameter); // the pipeline's parameter
  is(f.at("lib.Double"), T::Namespace);
  is(f.at("lib.Double", 4), T::Function);
  is(f.at("3)"), T::Number);
  is(f.at("big.result", 4), T::Property);
  is(f.at("// the end"), T::Comment);
  // `${seed}` in the run string: string, parameter, string.
  uint32_t s = f.at("\"load --seed ${seed}");
  const query::SemanticToken* head = tokenAt(ts, s);
  REQUIRE(head);
  CHECK(head->type == T::String);
  CHECK(head->end == f.at("seed} --out"));
  is(f.at("seed} --out"), T::Parameter);
  is(f.at("} --out"), T::String);
}

TEST_CASE("semantic tokens: a file with syntax errors still has its words, strings and numbers") {
  Fixture f(std::string(kMain) + "\npipeline broken( {\n  x = \"s\" + 2GiB\n");
  CHECK(f.sink.errorCount() > 0);
  auto ts = query::semanticTokens(*f.prog, f.entry());
  using T = query::SemanticType;
  const query::SemanticToken* t = tokenAt(ts, f.at("2GiB"));
  REQUIRE(t);
  CHECK(t->type == T::Number);
  CHECK(t->modifiers == query::kUnit);
  t = tokenAt(ts, f.at("pipeline broken"));
  REQUIRE(t);
  CHECK(t->type == T::Keyword);
  t = tokenAt(ts, f.at("\"s\""));
  REQUIRE(t);
  CHECK(t->type == T::String);
  for (size_t i = 1; i < ts.size(); ++i)
    CHECK(ts[i - 1].end <= ts[i].begin);
}
