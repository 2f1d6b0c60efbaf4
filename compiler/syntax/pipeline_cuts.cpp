#include "syntax/pipeline_cuts.h"

namespace mlpc::syntax {

namespace {

bool wordStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool wordChar(char c) {
  return wordStart(c) || (c >= '0' && c <= '9');
}

/// The words a top-level declaration starts with (the grammar's `topLevel`).
bool declarationKeyword(std::string_view w) {
  return w == "pipeline" || w == "step" || w == "data" || w == "import" || w == "server" ||
         w == "model" || w == "endpoint" || w == "monitor" || w == "schedule";
}

/// Whether the line starting at `i` begins with `name =` (and not `name ==`).
bool assignmentAt(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  if (i >= s.size() || !wordStart(s[i])) return false;
  while (i < s.size() && wordChar(s[i]))
    ++i;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  return i + 1 < s.size() && s[i] == '=' && s[i + 1] != '=';
}

} // namespace

std::vector<uint32_t> pipelineCuts(std::string_view s, unsigned pieces) {
  std::vector<uint32_t> cuts;
  if (pieces < 2 || s.size() >= UINT32_MAX) return cuts;
  size_t share = s.size() / pieces;
  size_t next = share; // the next cut is the first place found at or after this offset
  int depth = 0;
  bool pipelineDecl = false; // the last declaration keyword at depth 0 was `pipeline`
  bool inPipeline = false;   // the bracket open at depth 1 is a pipeline's body
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n') {
      ++i;
      if (i >= next && depth == 1 && inPipeline && assignmentAt(s, i)) {
        cuts.push_back(static_cast<uint32_t>(i));
        if (cuts.size() + 1 == pieces) break;
        next = share * (cuts.size() + 1);
      }
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') { // to the end of the line
      while (i < s.size() && s[i] != '\n')
        ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t close = s.find("*/", i + 2);
      if (close == std::string_view::npos) break; // unterminated: no cut after this
      i = close + 2;
      continue;
    }
    if (c == '"') {
      if (s.substr(i, 3) == "\"\"\"") {
        size_t close = s.find("\"\"\"", i + 3);
        if (close == std::string_view::npos) break;
        i = close + 3;
        continue;
      }
      // One line at most; a backslash escapes the next character (the lexer's ESC).
      ++i;
      while (i < s.size() && s[i] != '"' && s[i] != '\n') {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] != '\n') ++i;
        ++i;
      }
      if (i < s.size() && s[i] == '"') ++i;
      continue;
    }
    if (wordStart(c)) {
      size_t b = i;
      while (i < s.size() && wordChar(s[i]))
        ++i;
      if (depth == 0 && declarationKeyword(s.substr(b, i - b)))
        pipelineDecl = s.substr(b, i - b) == "pipeline";
      continue;
    }
    if (c >= '0' && c <= '9') { // a number and its unit (`5ms`) are one token, not a word
      while (i < s.size() && (wordChar(s[i]) || s[i] == '.'))
        ++i;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      if (depth == 0) inPipeline = c == '{' && pipelineDecl;
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
    ++i;
  }
  return cuts;
}

} // namespace mlpc::syntax
