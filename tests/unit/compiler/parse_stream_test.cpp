// The streaming parse (one declaration, one pipeline statement at a time), on one thread and in
// pieces on several, must build exactly the AST, and report exactly the diagnostics, that the
// whole-tree parse does: for every .mlp file in the repository (examples, stdlib, golden inputs
// including the ones with errors, the fuzz corpus and its crashes) and for the cases the
// streaming path and the cuts between pieces treat specially.
#include "ast/ast.h"
#include "repo_programs.h"
#include "syntax/parse.h"
#include "syntax/pipeline_cuts.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <thread>

using namespace mlpc;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  std::string ast;
  std::vector<std::string> diags; ///< code, range and message of each, in order
  bool usedFullLL = false;
  unsigned pieces = 0;
};

Outcome parseWith(const std::string& text, const syntax::ParseOptions& options) {
  SourceManager sm;
  DiagnosticSink sink;
  FileId file = sm.add("t.mlp", text);
  syntax::ParseStats stats;
  ast::Module m = syntax::parseFile(sm, file, sink, &stats, options);
  Outcome o;
  o.ast = ast::dump(m, sm);
  for (auto& d : sink.diagnostics())
    o.diags.push_back(std::string(diagInfo(d.code).code) + " " + std::to_string(d.range.begin) +
                      "-" + std::to_string(d.range.end) + " " + d.message);
  o.usedFullLL = stats.usedFullLL;
  o.pieces = stats.pieces;
  return o;
}

syntax::ParseOptions oneThread() {
  syntax::ParseOptions o;
  o.piecesFromBytes = SIZE_MAX;
  return o;
}

/// Pieces however small the file: every pipeline statement may be a cut.
syntax::ParseOptions inPieces(unsigned threads) {
  syntax::ParseOptions o;
  o.piecesFromBytes = 0;
  o.threads = threads;
  return o;
}

syntax::ParseOptions wholeTree() {
  syntax::ParseOptions o;
  o.wholeTree = true;
  return o;
}

struct Outcomes {
  Outcome streamed; ///< on one thread
  Outcome pieces;   ///< in at most three pieces, if it could be cut
};

/// Parses `text` every way and requires the same AST and diagnostics from each.
Outcomes requireSame(const std::string& text) {
  Outcome whole = parseWith(text, wholeTree());
  Outcomes o;
  o.streamed = parseWith(text, oneThread());
  REQUIRE(o.streamed.ast == whole.ast);
  REQUIRE(o.streamed.diags == whole.diags);
  Outcome two = parseWith(text, inPieces(2));
  REQUIRE(two.ast == whole.ast);
  REQUIRE(two.diags == whole.diags);
  o.pieces = parseWith(text, inPieces(3));
  REQUIRE(o.pieces.ast == whole.ast);
  REQUIRE(o.pieces.diags == whole.diags);
  return o;
}

} // namespace

TEST_CASE("streaming and whole-tree parses agree on every program in the repository",
          "[syntax][stream]") {
  std::vector<fs::path> files = testing::repoPrograms();
  REQUIRE(files.size() > 150);
  size_t streamed = 0, fellBack = 0, pieces = 0;
  for (auto& f : files) {
    INFO(f.string());
    Outcomes o = requireSame(testing::readAll(f));
    (o.streamed.usedFullLL ? fellBack : streamed)++;
    if (o.pieces.pieces > 1) ++pieces;
  }
  // Every path is exercised: most programs are valid, the diagnostics goldens are not all, and
  // many have a pipeline that can be cut.
  CHECK(streamed > 100);
  CHECK(fellBack > 10);
  CHECK(pieces > 30);
}

TEST_CASE("streaming parse: the cases it handles itself", "[syntax][stream]") {
  SECTION("declarations around and between pipelines, comments between statements") {
    Outcome o = requireSame(R"(import "std/sklearn" as sk
data d: Dataset<csv> = file("x.csv")
pipeline a(n: int = 2) {
  // a comment
  x = sk.Split(data = d) /* another */
  for i in range(n) { y = x }
  if n > 1 { z = x } else if n > 0 { z = x } else { fail "no" }
}
step S() -> Dataset<csv> { run = "true" }
pipeline b() {
}
pipeline c() { w = S() }
)")
                    .streamed;
    CHECK_FALSE(o.usedFullLL);
  }
  SECTION("an expression continued on the next line stays one statement") {
    Outcome o =
        requireSame("pipeline p() {\n  x = a\n    (1)\n  y = b\n    - 2\n  z = c\n  [0]\n}\n")
            .streamed;
    CHECK_FALSE(o.usedFullLL);
  }
  SECTION("a file that ends inside a pipeline falls back and reports it once") {
    Outcome o = requireSame("pipeline p() {\n  x = 1\n").streamed;
    CHECK(o.usedFullLL);
    CHECK(o.diags.size() == 1);
  }
  SECTION("a bad `${…}` before a syntax error is reported once") {
    Outcome o =
        requireSame("step S() { run = \"echo ${1 +}\" }\npipeline p() {\n  x = = 1\n}\n").streamed;
    CHECK(o.usedFullLL);
  }
  SECTION("a syntax error in a later declaration") {
    CHECK(requireSame("pipeline p() { x = 1 }\npipeline q() { y = }\n").streamed.usedFullLL);
  }
  SECTION("a stray token at the top level and a stray closing brace") {
    CHECK(requireSame("pipeline p() { x = 1 }\n}\n").streamed.usedFullLL);
    CHECK(requireSame("x = 1\n").streamed.usedFullLL);
  }
  SECTION("an empty file and a file of comments") {
    CHECK_FALSE(requireSame("").streamed.usedFullLL);
    CHECK_FALSE(requireSame("// nothing\n/* here */\n").streamed.usedFullLL);
  }
}

namespace {

std::vector<uint32_t> cutsOf(const std::string& text, unsigned pieces) {
  return syntax::pipelineCuts(text, pieces);
}

/// Where `marker` starts in `text`, as a cut would be.
uint32_t at(const std::string& text, const std::string& marker) {
  size_t p = text.find(marker);
  REQUIRE(p != std::string::npos);
  return static_cast<uint32_t>(p);
}

} // namespace

TEST_CASE("pipeline cuts: only at a statement directly inside a pipeline's body",
          "[syntax][stream][pieces]") {
  SECTION("a cut at the first statement line after each share") {
    std::string t = "pipeline p() {\n  a = 1\n  b = 2\n  c = 3\n  d = 4\n}\n";
    CHECK(cutsOf(t, 2) == std::vector<uint32_t>{at(t, "  c = 3")});
    CHECK(cutsOf(t, 1).empty());
  }
  SECTION("never inside a step's properties, brackets, comments or strings") {
    std::string t = "step S() -> Metrics{a: int} {\n  run = \"x\"\n  timeout = 5m\n}\n"
                    "pipeline p(n: int = 2) {\n  x = f(\n  y = 1)\n  /*\n  z = 1\n  */ w = 1\n"
                    "  // v = 1\n  s = \"\"\"\n  u = 1\n  \"\"\" \n  q = \"\\\"\"\n  r = 1\n}\n";
    std::vector<uint32_t> cuts = cutsOf(t, 16);
    CHECK(cuts == std::vector<uint32_t>{at(t, "  x = f("), at(t, "  s = "), at(t, "  q = "),
                                        at(t, "  r = 1")});
  }
  SECTION("not before `==` or a line that does not start a statement") {
    std::string t = "pipeline p() {\n  x = a\n  == b\n  + c\n  if x { y = 1 }\n}\n";
    CHECK(cutsOf(t, 8) == std::vector<uint32_t>{at(t, "  x = a")});
  }
  SECTION("no cut after an unterminated comment or string") {
    CHECK(cutsOf("pipeline p() {\n /* \n  a = 1\n  b = 2\n}\n", 4).empty());
    std::string t = "pipeline p() {\n s = \"\"\" \n  a = 1\n  b = 2\n}\n";
    CHECK(cutsOf(t, 4) == std::vector<uint32_t>{at(t, " s = ")});
  }
}

TEST_CASE("parse in pieces: the same module as one pass, or one pass when pieces cannot join",
          "[syntax][stream][pieces]") {
  SECTION("a middle piece wholly inside one pipeline, and a piece that closes it") {
    std::string t = "step S(a: int) -> int { run = \"true\" }\npipeline p() {\n";
    for (int i = 0; i < 40; ++i)
      t += "  b" + std::to_string(i) + " = S(a = " + std::to_string(i) + ")\n";
    t += "}\npipeline q() {\n  c = S(a = 1)\n}\n";
    Outcomes o = requireSame(t);
    CHECK(o.pieces.pieces == 3);
    CHECK_FALSE(o.pieces.usedFullLL);
  }
  SECTION("non-ASCII text on both sides of a cut keeps byte ranges right") {
    Outcomes o = requireSame("pipeline p() {\n  a = \"é→\"\n  b = \"日本\"\n  c = \"ü\"\n}\n");
    CHECK(o.pieces.pieces == 3);
  }
  SECTION("a statement continued onto a line that looks like a statement: one pass reports it") {
    Outcomes o = requireSame("pipeline p() {\n  x = a ==\n  b = c\n  d = 1\n}\n");
    CHECK(o.pieces.pieces == 0);
    CHECK(o.pieces.usedFullLL);
  }
  SECTION("a bad `${…}` in a piece: one pass reports it, once") {
    Outcomes o = requireSame("pipeline p() {\n  a = 1\n  b = \"${1 +}\"\n  c = 2\n}\n");
    CHECK(o.pieces.pieces == 0);
    CHECK(o.pieces.diags.size() == 1);
  }
  SECTION("lexical errors and too deep nesting in a piece: one pass reports them") {
    CHECK(requireSame("pipeline p() {\n  a = 1\n  b = 2\n  c = 5min\n  d = @\n}\n")
              .pieces.diags.size() == 2);
    std::string deep = "pipeline p() {\n  a = 1\n  b = 2\n  c = " + std::string(256, '(') + "1" +
                       std::string(256, ')') + "\n}\n";
    CHECK(requireSame(deep).pieces.diags.size() == 1);
  }
  SECTION("a file ending inside the last piece's pipeline") {
    Outcomes o = requireSame("pipeline p() {\n  a = 1\n  b = 2\n  c = 3\n");
    CHECK(o.pieces.pieces == 0);
    CHECK(o.pieces.usedFullLL);
  }
}

TEST_CASE("parse in pieces: a large generated program, with the default options",
          "[syntax][stream][pieces]") {
  std::string t = "step S(a: int) -> int { run = \"true\" }\npipeline big() {\n  b0 = S(a = 0)\n";
  for (int i = 1; t.size() < 600 * 1024; ++i)
    t += "  b" + std::to_string(i) + " = S(a = b" + std::to_string(i - 1) + ")\n";
  t += "}\n";
  Outcome whole = parseWith(t, wholeTree());
  Outcome pieces = parseWith(t, syntax::ParseOptions{});
  CHECK(pieces.ast == whole.ast);
  CHECK(pieces.diags.empty());
  if (std::thread::hardware_concurrency() > 1) CHECK(pieces.pieces > 1);
}
