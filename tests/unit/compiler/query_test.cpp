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
