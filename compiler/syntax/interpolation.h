#pragma once
// Splits a string literal's body into text and `${expr}` parts. Escapes (`\n`, `\t`, `\\`, `\"`,
// `\$`) are decoded in ordinary strings; `"""` strings are raw. In both, `$${` is a literal `${`
// so shell scripts can keep their own `${VAR}`.
#include "ast/ast.h"
#include "diag/diagnostic.h"

#include <functional>

namespace mlpc::syntax {

using ExprParser = std::function<ast::ExprPtr(const std::string& src, uint32_t at)>;

void splitInterpolations(ast::StringLit& lit, const std::string& body, uint32_t base, bool triple,
                         FileId file, DiagnosticSink& sink, const ExprParser& parse);

/// Parses the text of one interpolation, which starts at byte `at` of `file`, as an expression.
ast::ExprPtr parseInterpolatedExpr(const SourceManager& sm, FileId file, const std::string& src,
                                   uint32_t at, DiagnosticSink& sink);

} // namespace mlpc::syntax
