// Systematic robustness of the whole front end: every example program and stdlib module is cut
// short after each token, and has each token deleted in turn. Each mutant is checked, lowered
// when it checks, and its diagnostics are rendered. The fuzzer explores at random and only for a
// bounded time; this test visits the edits that error recovery meets most (a file that stops
// mid-declaration, a missing `=`, `(` or string) deterministically, on every run.
//
// What must hold for every mutant: no exception or crash, and a real source position on every
// diagnostic. (A parser that
// conjures a missing token has no position for it; `import` at the end of a file once crashed
// the renderer that way.)
#include "diag/diagnostic.h"
#include "lower/lower.h"
#include "plan/plan.h"
#include "sema/sema.h"

#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mlpc;

namespace {

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Byte offsets where a token starts: a crude lexer (identifier/number runs, string literals,
/// `//` comments, single punctuation) is enough, since every cut is a valid test either way.
std::vector<size_t> tokenStarts(const std::string& s) {
  std::vector<size_t> out;
  size_t i = 0;
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    out.push_back(i);
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n')
        ++i;
    } else if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"' && s[i] != '\n')
        i += s[i] == '\\' ? 2 : 1;
      ++i;
    } else if (word(c)) {
      while (i < s.size() && word(s[i]))
        ++i;
    } else {
      ++i;
    }
  }
  out.push_back(s.size());
  return out;
}

struct Mutant {
  std::string what;
  std::string text;
};

/// Checks one mutant written as `dir/mutant.mlp` (so its relative imports still resolve).
void checkMutant(const fs::path& dir, const Mutant& m) {
  fs::path entry = dir / "mutant.mlp";
  {
    std::ofstream out(entry, std::ios::binary | std::ios::trunc);
    out << m.text;
  }
  SourceManager sm;
  DiagnosticSink sink;
  sema::Options opts;
  opts.stdlibDirs = {std::string(MLPC_TEST_SOURCE_DIR) + "/stdlib"};
  opts.checkFiles = false;
  std::unique_ptr<sema::Program> prog;
  INFO(m.what);
  REQUIRE_NOTHROW(prog = sema::analyze(entry.string(), opts, sm, sink));
  sink.sort(sm);
  for (const auto& d : sink.diagnostics()) {
    INFO(diagInfo(d.code).code << ": " << d.message);
    CHECK(d.range.valid());
  }
  REQUIRE_NOTHROW(renderAllText(sink, sm, {}));
  REQUIRE_NOTHROW(renderJson(sink, sm));
  if (!prog || sink.errorCount() != 0) return;
  for (const auto* p : prog->pipelines()) {
    plan::LowerOptions lo;
    lo.pipeline = p->name.name;
    lo.planDir = dir.string();
    DiagnosticSink lowerSink;
    REQUIRE_NOTHROW(plan::lower(*prog, lo, lowerSink));
  }
}

/// Every `.mlp` under the examples and the stdlib, with the directory to check it in.
std::vector<fs::path> programs() {
  std::vector<fs::path> out;
  for (const char* root : {"examples", "stdlib/std"})
    for (auto& e : fs::recursive_directory_iterator(fs::path(MLPC_TEST_SOURCE_DIR) / root))
      if (e.path().extension() == ".mlp") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class ScratchCopy {
public:
  /// A copy of `src`'s directory, so mutants sit beside the modules the program imports.
  explicit ScratchCopy(const fs::path& src) {
    path_ = fs::temp_directory_path() / ("mlpc-mutation-" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::copy(src.parent_path(), path_, fs::copy_options::recursive);
  }
  ~ScratchCopy() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchCopy(const ScratchCopy&) = delete;
  ScratchCopy& operator=(const ScratchCopy&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

} // namespace

TEST_CASE("every prefix of every example and stdlib module is handled", "[mutation]") {
  auto files = programs();
  REQUIRE(files.size() >= 10);
  for (const auto& file : files) {
    std::string text = readAll(file);
    ScratchCopy scratch(file);
    auto starts = tokenStarts(text);
    for (size_t k = 0; k + 1 < starts.size(); ++k)
      checkMutant(scratch.path(),
                  {file.filename().string() + " cut before byte " + std::to_string(starts[k]),
                   text.substr(0, starts[k])});
  }
}

TEST_CASE("every example and stdlib module with one token deleted is handled", "[mutation]") {
  for (const auto& file : programs()) {
    std::string text = readAll(file);
    ScratchCopy scratch(file);
    auto starts = tokenStarts(text);
    for (size_t k = 0; k + 1 < starts.size(); ++k)
      checkMutant(scratch.path(), {file.filename().string() + " without the token at byte " +
                                       std::to_string(starts[k]),
                                   text.substr(0, starts[k]) + " " + text.substr(starts[k + 1])});
  }
}

TEST_CASE("every example and stdlib module with one token doubled is handled", "[mutation]") {
  for (const auto& file : programs()) {
    std::string text = readAll(file);
    ScratchCopy scratch(file);
    auto starts = tokenStarts(text);
    for (size_t k = 0; k + 1 < starts.size(); ++k)
      checkMutant(scratch.path(), {file.filename().string() + " with the token at byte " +
                                       std::to_string(starts[k]) + " doubled",
                                   text.substr(0, starts[k + 1]) + " " + text.substr(starts[k])});
  }
}
