#pragma once
/// The syntax stage's entry point: .mlp text in, our own AST out. The ANTLR-generated parser is
/// an implementation detail of this folder; nothing else includes antlr4 headers.
#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace mlpc::syntax {

struct ParseStats {
  bool usedFullLL = false; ///< the fast SLL pass failed and the file was re-parsed with full LL
};

/// Parses one loaded file. Syntax errors go to `sink` (many per file: the parser recovers) and
/// the returned module holds whatever could be built; `ast::ErrorExpr` marks the holes.
/// A file is first parsed one declaration (and one pipeline statement) at a time; `wholeTree`
/// skips that and parses it as one tree, as a file with a syntax error is (for tests that
/// compare the two).
ast::Module parseFile(const SourceManager& sm, FileId file, DiagnosticSink& sink,
                      ParseStats* stats = nullptr, bool wholeTree = false);

} // namespace mlpc::syntax
