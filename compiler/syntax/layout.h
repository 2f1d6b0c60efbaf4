#pragma once
/// The tokens of a .mlp file as the formatter needs them (`mlpc fmt`): every token including
/// comments, where it starts, and the few facts only the parse tree knows — whether a token is
/// part of a type (`Metrics{auc: float}`, `list<int>`, written without spaces) and whether a
/// `-` is unary. Only compiler/syntax sees the generated parser; the formatter sees this.
#include "diag/diagnostic.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::syntax {

enum class LayoutKind {
  Word,         ///< a name, a literal (number, unit, bool) or a declaration word
  Keyword,      ///< import as if else for in register with fail not
  String,       ///< "…" or """…""" (may span lines)
  LineComment,  ///< `// …`
  BlockComment, ///< `/* … */` (may span lines)
  Open,         ///< ( [ {
  Close,        ///< ) ] }
  Comma,
  Colon,
  Dot,
  Assign,   ///< =
  Arrow,    ///< ->
  Operator, ///< + - * / < <= > >= == != and or
};

struct LayoutToken {
  LayoutKind kind;
  std::string text;
  int line = 0;        ///< 1-based line where it starts
  bool inType = false; ///< part of a type expression
  bool unary = false;  ///< a unary `-`
};

/// The file's tokens, or nullopt when it has syntax errors (reported to `sink`): a file that does
/// not parse is never reformatted.
std::optional<std::vector<LayoutToken>> layoutTokens(const SourceManager& sm, FileId file,
                                                     DiagnosticSink& sink);

} // namespace mlpc::syntax
