// Find references: every use whose declaration is the one at the cursor, in all loaded modules.
#include "query/describe.h"
#include "query/query.h"
#include "query/uses.h"

namespace mlpc::query {

namespace {

bool same(SourceRange a, SourceRange b) {
  return a.file == b.file && a.begin == b.begin && a.end == b.end;
}

} // namespace

void collectUses(const sema::Program& prog, SourceRange target, const ast::Module& m,
                 std::vector<SourceRange>& out) {
  Uses uses([&](const ast::Expr& e, const ast::CallExpr* call, const ast::Arg* arg) {
    if (arg) {
      if (auto d = declarationOfArg(prog, *call, *arg); d && same(*d, target))
        out.push_back(arg->name.range);
      return;
    }
    if (auto d = declarationOf(prog, e); d && same(*d, target))
      out.push_back(e.kind == ast::ExprKind::Member ? e.as<ast::MemberExpr>().member.range
                                                    : e.range);
  });
  uses.module(m);
}

std::vector<SourceRange> references(const sema::Program& prog, const sema::Module& m,
                                    uint32_t offset, bool includeDeclaration) {
  std::vector<SourceRange> out;
  auto target = definition(prog, m, offset);
  if (!target) return out;
  // A module (an import's name or path) has no single name to point at.
  if (target->begin == 0 && target->end == 0) return out;
  if (includeDeclaration) out.push_back(*target);
  for (auto& mod : prog.modules)
    collectUses(prog, *target, mod->ast, out);
  return out;
}

} // namespace mlpc::query
