// ThreadLexer and ThreadParser (syntax/recognizers.h) change how the generated recognizers run,
// never what they produce: the same tokens (type, channel, span, line and column), the same
// parse trees and the same syntax errors as the generated MlpLexer and MlpParser, on every .mlp
// file in the repository and on random text built from the grammar's pieces.
#include "repo_programs.h"
#include "syntax/parse_fast.h"
#include "syntax/recognizers.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace {

/// Every error a recognizer reports, with its position and message.
class Errors : public antlr4::BaseErrorListener {
public:
  std::vector<std::string> seen;
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    seen.push_back(std::to_string(line) + ":" + std::to_string(col) + " " + msg);
  }
};

struct Result {
  std::vector<std::string> tokens;
  std::vector<std::string> lexErrors;
  std::string tree;
  std::vector<std::string> parseErrors;
};

std::string describe(const antlr4::Token& t) {
  return std::to_string(t.getType()) + "/" + std::to_string(t.getChannel()) + " " +
         std::to_string(t.getStartIndex()) + "-" + std::to_string(t.getStopIndex()) + " @" +
         std::to_string(t.getLine()) + ":" + std::to_string(t.getCharPositionInLine()) + " #" +
         std::to_string(t.getTokenIndex()) + " " + t.getText();
}

/// Lexes and parses `text` (rule `file`, ANTLR's default error recovery) with the given classes.
template <class Lexer, class Parser> Result run(const std::string& text) {
  antlr4::ANTLRInputStream input(text);
  Lexer lexer(&input);
  Errors lexErrors;
  lexer.removeErrorListeners();
  lexer.addErrorListener(&lexErrors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  Parser parser(&tokens);
  Errors parseErrors;
  parser.removeErrorListeners();
  parser.addErrorListener(&parseErrors);
  auto* tree = parser.file();
  Result r;
  for (antlr4::Token* t : tokens.getTokens())
    r.tokens.push_back(describe(*t));
  r.lexErrors = lexErrors.seen;
  r.tree = tree->toStringTree(&parser);
  r.parseErrors = parseErrors.seen;
  return r;
}

void requireSame(const std::string& text) {
  Result stock = run<mlpgen::MlpLexer, mlpgen::MlpParser>(text);
  Result ours = run<mlpc::syntax::ThreadLexer, mlpc::syntax::ThreadParser>(text);
  REQUIRE(ours.tokens == stock.tokens);
  REQUIRE(ours.lexErrors == stock.lexErrors);
  REQUIRE(ours.tree == stock.tree);
  REQUIRE(ours.parseErrors == stock.parseErrors);
}

/// Brackets nested deeper than the syntax stage lets reach a parser (it refuses such a file
/// first) can overflow the stack of a test thread, sanitizers' larger frames included. Counted
/// without regard to strings and comments, so this errs towards skipping.
bool tooDeep(const std::string& text) {
  int depth = 0;
  for (char c : text) {
    if (c == '(' || c == '[' || c == '{') {
      if (++depth > mlpc::syntax::kMaxNesting) return true;
    } else if (c == ')' || c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
  return false;
}

/// ANTLR's input stream refuses text that is not UTF-8 before any recognizer runs (mlpc reads
/// such a file its own way: syntax/parse.cpp).
bool decodes(const std::string& text) {
  try {
    antlr4::ANTLRInputStream probe(text);
    return true;
  } catch (const std::range_error&) {
    return false;
  }
}

} // namespace

TEST_CASE("thread recognizers: the generated ones' tokens, trees and errors on every program",
          "[syntax][recognizers]") {
  std::vector<fs::path> files = mlpc::testing::repoPrograms();
  REQUIRE(files.size() > 150);
  size_t compared = 0;
  for (auto& f : files) {
    INFO(f.string());
    std::string text = mlpc::testing::readAll(f);
    if (!decodes(text) || tooDeep(text)) continue;
    requireSame(text);
    ++compared;
  }
  // Skipped: the files that are not UTF-8 or nest too deep on purpose (fuzz crashes, goldens).
  CHECK(files.size() - compared <= 8);
}

TEST_CASE("thread recognizers: the generated ones' results on edge cases and random text",
          "[syntax][recognizers]") {
  // Whitespace of every kind (the `skip` action), comments (a channel action), strings with
  // interpolations, characters outside ASCII (no DFA edge), lexical errors, and input that ends
  // in the middle of a token.
  const std::vector<std::string> cases = {
      "",
      " \t\r\n",
      "step A() -> File {\n  run = \"echo ${x} > ${out}\"\n}\n",
      "// only a comment",
      "/* block */ pipeline p() { a = A() }",
      "pipeline p() {\r\n  x = 1 + 2 * -3\r\n}",
      "data d: File = file(\"caf\xc3\xa9.csv\") // caf\xc3\xa9\n",
      "pipeline \xce\xbb() {}",
      "step A( -> {",
      "pipeline p() { x = \"unterminated }",
      "/* unterminated",
      "pipeline p() { x = @ }",
      "model m { versions = 3 } endpoint e { model = m, traffic = canary(10%, 5m) }",
      "\"\"\"triple ${a} \"\"\"",
  };
  for (const std::string& text : cases) {
    INFO(text);
    requireSame(text);
  }
  const std::vector<std::string> pieces = {
      "step", "pipeline", "data", "model", "A",    "x1",     "_y",    "=",  "(",    ")",
      "{",    "}",        "[",    "]",     ",",    ":",      "->",    "+",  "*",    "-",
      "==",   "<=",       "and",  "not",   "1",    "2.5",    "10m",   "5%", "3GB",  "\"s\"",
      "\"${", "\"",       "//c",  "/*",    "*/",   " ",      "\n",    "\t", "\r\n", "\xc3\xa9",
      "@",    "#",        "$",    "\\",    "true", "for",    "in",    "if", "else", "\"\"\"",
      ".",    "?",        "'",    "0x",    "1e",   "import", "range", "{}", "()"};
  std::mt19937 rng(12);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1), length(1, 40);
  for (int i = 0; i < 1500; ++i) {
    std::string text;
    for (size_t n = length(rng); n > 0; --n)
      text += pieces[pick(rng)];
    INFO(text);
    requireSame(text);
  }
}
