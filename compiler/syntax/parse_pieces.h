#pragma once
// A large file parsed in pieces on several threads. Internal to compiler/syntax.
#include "ast/ast.h"
#include "syntax/parse.h"

#include <optional>

namespace mlpc::syntax {

/// Cuts `file` at pipeline statements (pipeline_cuts.h) into up to `threads` pieces, parses each
/// the fast way (parse_fast.h) on its own thread, and joins them into the module one fast pass
/// over the file would build. Nullopt when the file cannot be cut, or a piece does not parse
/// the fast way or has diagnostics: the caller then parses the file in one pass.
std::optional<ast::Module> parseInPieces(const SourceManager& sm, FileId file, unsigned threads,
                                         ParseStats* stats);

} // namespace mlpc::syntax
