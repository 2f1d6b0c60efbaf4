#pragma once
// Text shared by hover and the other queries: signatures in the language's own syntax.
#include "sema/sema.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::query {

/// `name: Type = default`, as written.
std::string paramText(const SourceManager& sm, const ast::Param& p);
/// `step Train(data: Dataset, trees: int = 100) -> (model: Model<sklearn>)`, `pipeline p(x: int)`,
/// `data raw: Dataset<csv>`, `model churn`, ...
std::string signature(const sema::Program& prog, const ast::Decl& d);
/// The step or server whose outputs `object` (the left of `.`) holds, following bindings and
/// loops to the call that made it; null when it is not a step's result.
const ast::StepDecl* producer(const sema::Program& prog, const ast::Expr* object);

/// The declaration a use refers to: a name or member expression, or a named argument of `call`.
std::optional<SourceRange> declarationOf(const sema::Program& prog, const ast::Expr& e);
std::optional<SourceRange> declarationOfArg(const sema::Program& prog, const ast::CallExpr& call,
                                            const ast::Arg& arg);
/// Appends every use in `m` of the declaration whose name is at `target`, in source order.
void collectUses(const sema::Program& prog, SourceRange target, const ast::Module& m,
                 std::vector<SourceRange>& out);

} // namespace mlpc::query
