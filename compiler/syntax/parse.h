#pragma once
/// The syntax stage's entry point: .mlp text in, our own AST out. The ANTLR-generated parser is
/// an implementation detail of this folder; nothing else includes antlr4 headers.
#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace mlpc::syntax {

struct ParseStats {
  bool usedFullLL = false; ///< the fast SLL pass failed and the file was re-parsed with full LL
  unsigned pieces = 0;     ///< the file was parsed in this many pieces on as many threads
};

struct ParseOptions {
  /// Parse the file as one tree, as a file with a syntax error is (for tests that compare the
  /// ways a file can be parsed).
  bool wholeTree = false;
  /// A file at least this large is cut into pieces at pipeline statements, parsed on as many
  /// threads. 256 KiB is about 7,000 one-line statements: a chosen threshold, not a measured
  /// break-even (a smaller file parses in a fraction of a second on one thread, and a new
  /// thread's DFAs start cold).
  size_t piecesFromBytes = 256 * 1024;
  /// How many threads (and pieces) at most; 0: the machine's cores, up to 4.
  unsigned threads = 0;
};

/// Parses one loaded file. Syntax errors go to `sink` (many per file: the parser recovers) and
/// the returned module holds whatever could be built; `ast::ErrorExpr` marks the holes.
/// A file is first parsed one declaration (and one pipeline statement) at a time, a large one in
/// pieces on several threads; the careful whole-tree parse runs only on a file those ways fail
/// on, and reports its syntax errors. Every way builds the same AST (parse_stream_test).
ast::Module parseFile(const SourceManager& sm, FileId file, DiagnosticSink& sink,
                      ParseStats* stats = nullptr, const ParseOptions& options = {});

} // namespace mlpc::syntax
