// The streaming parse (one declaration, one pipeline statement at a time) must build exactly the
// AST, and report exactly the diagnostics, that the whole-tree parse does: for every .mlp file in
// the repository (examples, stdlib, golden inputs including the ones with errors, the fuzz
// corpus and its crashes) and for the cases the streaming path treats specially.
#include "ast/ast.h"
#include "syntax/parse.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mlpc;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  std::string ast;
  std::vector<std::string> diags; ///< code, range and message of each, in order
  bool usedFullLL = false;
};

Outcome parseWith(const std::string& text, bool wholeTree) {
  SourceManager sm;
  DiagnosticSink sink;
  FileId file = sm.add("t.mlp", text);
  syntax::ParseStats stats;
  ast::Module m = syntax::parseFile(sm, file, sink, &stats, wholeTree);
  Outcome o;
  o.ast = ast::dump(m, sm);
  for (auto& d : sink.diagnostics())
    o.diags.push_back(std::string(diagInfo(d.code).code) + " " + std::to_string(d.range.begin) +
                      "-" + std::to_string(d.range.end) + " " + d.message);
  o.usedFullLL = stats.usedFullLL;
  return o;
}

/// Parses `text` both ways and requires the same AST and diagnostics; returns the streaming one.
Outcome requireSame(const std::string& text) {
  Outcome streamed = parseWith(text, false);
  Outcome whole = parseWith(text, true);
  REQUIRE(streamed.ast == whole.ast);
  REQUIRE(streamed.diags == whole.diags);
  return streamed;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("streaming and whole-tree parses agree on every program in the repository",
          "[syntax][stream]") {
  fs::path root = MLPC_TEST_SOURCE_DIR;
  std::vector<fs::path> files;
  for (const char* dir : {"examples", "stdlib", "tests", "editors"})
    for (auto it = fs::recursive_directory_iterator(root / dir);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && it->path().filename() == "node_modules") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && it->path().extension() == ".mlp") files.push_back(it->path());
    }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() > 150);
  size_t streamed = 0, fellBack = 0;
  for (auto& f : files) {
    INFO(f.string());
    Outcome o = requireSame(readAll(f));
    (o.usedFullLL ? fellBack : streamed)++;
  }
  // Both paths are exercised: most programs are valid, the diagnostics goldens are not all.
  CHECK(streamed > 100);
  CHECK(fellBack > 10);
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
)");
    CHECK_FALSE(o.usedFullLL);
  }
  SECTION("an expression continued on the next line stays one statement") {
    Outcome o =
        requireSame("pipeline p() {\n  x = a\n    (1)\n  y = b\n    - 2\n  z = c\n  [0]\n}\n");
    CHECK_FALSE(o.usedFullLL);
  }
  SECTION("a file that ends inside a pipeline falls back and reports it once") {
    Outcome o = requireSame("pipeline p() {\n  x = 1\n");
    CHECK(o.usedFullLL);
    CHECK(o.diags.size() == 1);
  }
  SECTION("a bad `${…}` before a syntax error is reported once") {
    Outcome o = requireSame("step S() { run = \"echo ${1 +}\" }\npipeline p() {\n  x = = 1\n}\n");
    CHECK(o.usedFullLL);
  }
  SECTION("a syntax error in a later declaration") {
    CHECK(requireSame("pipeline p() { x = 1 }\npipeline q() { y = }\n").usedFullLL);
  }
  SECTION("a stray token at the top level and a stray closing brace") {
    CHECK(requireSame("pipeline p() { x = 1 }\n}\n").usedFullLL);
    CHECK(requireSame("x = 1\n").usedFullLL);
  }
  SECTION("an empty file and a file of comments") {
    CHECK_FALSE(requireSame("").usedFullLL);
    CHECK_FALSE(requireSame("// nothing\n/* here */\n").usedFullLL);
  }
}
