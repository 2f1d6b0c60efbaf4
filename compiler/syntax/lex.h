#pragma once
/// The tokens of a .mlp text with their byte ranges, comments included, for editors: completion
/// reads the tokens before the cursor (the text often does not parse then) and semantic tokens
/// colour them. Lexing never fails: what the lexer cannot read becomes an `Error` token.
#include <cstdint>
#include <string>
#include <vector>

namespace mlpc::syntax {

enum class LexKind {
  Keyword,     ///< import as if else for in register with fail and or not true false
  DeclWord,    ///< data step server pipeline model endpoint monitor schedule (also usable as names)
  Name,        ///< an identifier
  String,      ///< "…", """…""" or a string without its closing quote
  Number,      ///< 3, 0.5, 1e-3
  Unit,        ///< 5m, 2GiB, 10% (and a bad unit such as 5min)
  Comment,     ///< `// …` or `/* … */`
  Punctuation, ///< ( ) [ ] { } , : . = -> and the operators
  Error,       ///< a character the language does not use
};

struct LexToken {
  LexKind kind;
  uint32_t begin = 0; ///< byte offset in the text
  uint32_t end = 0;   ///< one past the last byte
  std::string text;
  bool unterminated = false; ///< a string or block comment without its end
};

/// Every token of `text` except white space, in order.
std::vector<LexToken> lex(const std::string& text);

} // namespace mlpc::syntax
