#include "syntax/error_listener.h"

#include "MlpLexer.h"

#include <algorithm>

namespace mlpc::syntax {

std::string humanToken(const std::string& n) {
  if (n == "<EOF>" || n == "EOF") return "end of file";
  if (n == "ID") return "identifier";
  if (n == "STRING" || n == "TRIPLE_STRING") return "string";
  if (n == "INT") return "integer";
  if (n == "FLOAT") return "number";
  if (n == "DURATION") return "duration";
  if (n == "SIZE") return "size";
  if (n == "PERCENT") return "percent";
  if (n.size() >= 2 && n.front() == '\'' && n.back() == '\'')
    return "`" + n.substr(1, n.size() - 2) + "`";
  return n;
}

namespace {
// ANTLR phrases its messages as "mismatched input 'x' expecting {A, B}"; we say what was found
// and what was expected, in the words the language reference uses.
std::string expectedList(std::string set) {
  if (set.size() >= 2 && set.front() == '{' && set.back() == '}')
    set = set.substr(1, set.size() - 2);
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos <= set.size()) {
    size_t comma = set.find(", ", pos);
    std::string item =
        set.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    std::string h = humanToken(item);
    // Declaration words are also identifiers; listing them all is noise.
    static const std::vector<std::string> ctx = {"`data`",     "`step`",    "`server`",
                                                 "`pipeline`", "`model`",   "`endpoint`",
                                                 "`monitor`",  "`schedule`"};
    if (std::find(ctx.begin(), ctx.end(), h) == ctx.end() &&
        std::find(names.begin(), names.end(), h) == names.end())
      names.push_back(h);
    if (comma == std::string::npos) break;
    pos = comma + 2;
  }
  // Where any expression may start, say so instead of listing every literal kind.
  static const std::vector<std::string> exprStarts = {
      "integer", "number", "duration", "size", "percent", "string",     "`true`",  "`false`",
      "`not`",   "`(`",    "`[`",      "`{`",  "`-`",     "identifier", "BAD_UNIT"};
  size_t starts = 0;
  for (auto& n : names)
    if (std::find(exprStarts.begin(), exprStarts.end(), n) != exprStarts.end()) ++starts;
  if (starts >= 6) {
    std::vector<std::string> rest = {"an expression"};
    for (auto& n : names)
      if (std::find(exprStarts.begin(), exprStarts.end(), n) == exprStarts.end()) rest.push_back(n);
    names = rest;
  }
  if (names.size() > 8) {
    names.resize(8);
    names.push_back("...");
  }
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i)
    expected += (i ? ", " : "") + names[i];
  return expected;
}

// ANTLR phrases its messages as "mismatched input 'x' expecting {A, B}" or "missing 'x' at 'y'";
// we say what was found and what was expected, in the words the language reference uses.
std::string rewrite(const std::string& msg, const std::string& found) {
  if (msg.rfind("missing ", 0) == 0) {
    size_t at = msg.rfind(" at ");
    std::string what = msg.substr(8, at == std::string::npos ? std::string::npos : at - 8);
    return "expected " + expectedList(what) + " before " + found;
  }
  std::string expected;
  size_t e = msg.find("expecting ");
  if (e != std::string::npos) expected = expectedList(msg.substr(e + 10));
  std::string head = found == "end of file" ? "unexpected end of file" : "unexpected " + found;
  if (!expected.empty()) return head + ", expected " + expected;
  return head;
}

} // namespace

void DiagErrorListener::syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t, size_t,
                                    const std::string& msg, std::exception_ptr) {
  if (!offending) return;
  // Bad characters and unterminated strings were already reported precisely by the lexer scan.
  size_t type = offending->getType();
  if (type == mlpgen::MlpLexer::UNKNOWN_CHAR || type == mlpgen::MlpLexer::UNTERMINATED_STRING ||
      type == mlpgen::MlpLexer::BAD_UNIT || type == mlpgen::MlpLexer::UNTERMINATED_COMMENT)
    return;
  uint32_t b = offsets_.byte(offending->getStartIndex());
  uint32_t e = type == antlr4::Token::EOF ? b : offsets_.byte(offending->getStopIndex() + 1);
  // One report per position: recovery can trip over the same token twice.
  if (b == lastOffset_) return;
  lastOffset_ = b;
  std::string found = type == antlr4::Token::EOF ? "end of file" : "`" + offending->getText() + "`";
  auto& d = sink_.report(DiagCode::SyntaxError, {file_, b, e}, rewrite(msg, found));
  if (type == mlpgen::MlpLexer::IMPORT || type == mlpgen::MlpLexer::IF ||
      type == mlpgen::MlpLexer::FOR || type == mlpgen::MlpLexer::IN ||
      type == mlpgen::MlpLexer::AS || type == mlpgen::MlpLexer::WITH ||
      type == mlpgen::MlpLexer::FAIL || type == mlpgen::MlpLexer::REGISTER)
    d.note("`" + offending->getText() + "` is a reserved word and cannot be used as a name");
  ++count_;
}

} // namespace mlpc::syntax
