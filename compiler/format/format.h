#pragma once
/// `mlpc fmt`: the one canonical layout of a .mlp file.
///
/// The layout keeps the author's line breaks (at most one blank line in a row) and decides
/// everything else: two spaces of indent per line that opened a bracket still open, four more
/// for a continued expression (a line after one ending in an operator, `=` or `->`, or starting
/// with a binary operator); one space around binary operators, `=` and `->`, after commas and
/// colons, inside a record's braces and before a block's `{`; none inside parentheses and
/// brackets, around dots, or anywhere inside a type (`Metrics{auc: float}`, `list<int>`); the
/// `=` of consecutive `name = …` lines aligned; consecutive trailing comments aligned two spaces
/// after the longest line. Formatting is idempotent, keeps every comment, and never changes a
/// token: the result is checked by lexing it again.
#include "diag/diagnostic.h"

#include <optional>
#include <string>

namespace mlpc::format {

/// The formatted text of `file`, or nullopt when it has syntax errors (reported to `sink`) or,
/// which would be a bug, when the result would not hold the same tokens (`error` says so).
std::optional<std::string> formatFile(const SourceManager& sm, FileId file, DiagnosticSink& sink,
                                      std::string& error);

/// A unified diff (`--- a`, `+++ b`, `@@` hunks with 3 lines of context) from `before` to
/// `after`; empty when they are equal.
std::string unifiedDiff(const std::string& before, const std::string& after,
                        const std::string& fromName, const std::string& toName);

} // namespace mlpc::format
