#pragma once
// The fast parse, for a file (or a piece of one) without errors, and what it shares with the
// careful parse in parse.cpp. Internal to compiler/syntax.
#include "ast/ast.h"
#include "diag/diagnostic.h"

#include "MlpLexer.h"
#include "MlpParser.h"

#include <optional>
#include <vector>

namespace mlpc::syntax {

/// Brackets nested deeper than this are refused before parsing: the parser, the tree walk and
/// the checker all recurse on nesting, and no real program comes close.
inline constexpr int kMaxNesting = 256;

/// Token types the lexer makes of text it cannot make sense of.
inline bool isLexicalError(size_t type) {
  using L = mlpgen::MlpLexer;
  return type == L::UNKNOWN_CHAR || type == L::UNTERMINATED_STRING || type == L::BAD_UNIT ||
         type == L::UNTERMINATED_COMMENT;
}

/// SLL prediction, no error recovery: the first syntax error throws ParseCancellationException.
void useSllBail(mlpgen::MlpParser& parser);

/// A file, or a piece of one (pipeline_cuts.h), and what it parses to. A piece that starts
/// inside a pipeline's body first holds that body's statements; a piece that ends inside one
/// holds the pipeline so far.
struct Piece {
  uint32_t begin = 0, end = 0;
  bool startsInBody = false; ///< the piece starts with statements of an earlier piece's pipeline
  bool last = true;          ///< the file ends here: a pipeline may not stay open

  bool ok = false;
  std::vector<ast::StmtPtr> leading; ///< those statements
  std::optional<SourceRange> close;  ///< the `}` that ends them, if in this piece
  std::vector<ast::DeclPtr> decls;
  std::unique_ptr<ast::PipelineDecl> open; ///< the pipeline the piece ends inside
  DiagnosticSink diags;                    ///< what the Transformer reported (a bad literal…)
};

/// Lexes and parses `piece` of `file` the fast way and sets piece.ok. Never throws. Not ok when
/// the piece has a lexical error, brackets nested too deep or a syntax error under SLL: the file
/// must then be parsed the careful way (parse.cpp), which reports them.
void parseFast(const SourceManager& sm, FileId file, Piece& piece) noexcept;

} // namespace mlpc::syntax
