#pragma once
// From the compiler's data (byte ranges, diagnostics, symbols) to LSP JSON.
#include "lsp/documents.h"
#include "lsp/text.h"
#include "lsp/transport.h"
#include "query/query.h"

#include <map>
#include <memory>

namespace mlpc::lsp {

/// Converts byte ranges of one analysis to LSP ranges and locations, indexing each file's lines
/// once.
class Positions {
public:
  explicit Positions(const Analysis& a) : a_(a) {}
  Json range(SourceRange r);
  /// {uri, range}, or null when the range's file is not one of the program's modules.
  Json location(SourceRange r);
  uint32_t offset(FileId file, Position p);

private:
  const Analysis& a_;
  std::map<FileId, std::unique_ptr<LineIndex>> index_;
  const LineIndex& indexOf(FileId f);
};

/// The diagnostics of `a` that belong in the document's own file, as LSP Diagnostic objects.
/// An error inside an imported module is shown on the import that leads to it.
Json diagnostics(const Analysis& a);

Json symbols(Positions& pos, const std::vector<query::Symbol>& syms);

/// Quick fixes for the diagnostics of the document's own file that overlap bytes [from, to]:
/// each "did you mean `x`?" on a misspelt name becomes a CodeAction that replaces the name.
Json quickFixes(const Analysis& a, const std::string& uri, uint32_t from, uint32_t to);

} // namespace mlpc::lsp
