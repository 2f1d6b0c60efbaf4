// Go to definition: from a use to the name that declares it, in this file, an import or the stdlib.
#include "query/describe.h"
#include "query/query.h"

namespace mlpc::query {

namespace {

std::optional<SourceRange> resolved(const sema::Resolution& r) {
  switch (r.kind) {
  case sema::RefKind::PipelineParam:
    if (r.decl && r.decl->kind == ast::DeclKind::Pipeline) {
      auto& ps = r.decl->as<ast::PipelineDecl>().params;
      if (r.index < ps.size()) return ps[r.index].name.range;
    }
    break;
  case sema::RefKind::StepParam:
  case sema::RefKind::StepOutput:
    if (r.decl && (r.decl->kind == ast::DeclKind::Step || r.decl->kind == ast::DeclKind::Server)) {
      auto& s = r.decl->as<ast::StepDecl>();
      auto& ps = r.kind == sema::RefKind::StepParam ? s.params : s.outputs;
      if (r.index < ps.size()) return ps[r.index].name.range;
    }
    break;
  case sema::RefKind::Binding:
    if (r.stmt) return r.stmt->as<ast::AssignStmt>().name.range;
    break;
  case sema::RefKind::LoopVar:
    if (r.stmt) return r.stmt->as<ast::ForStmt>().var.range;
    break;
  case sema::RefKind::Data:
  case sema::RefKind::Decl:
    if (r.decl) return r.decl->name.range;
    break;
  case sema::RefKind::Module:
    if (r.module) return SourceRange{r.module->ast.file, 0, 0};
    break;
  default:
    break;
  }
  return std::nullopt;
}

const std::vector<ast::Param>* paramsOf(const ast::Decl* d) {
  if (!d) return nullptr;
  if (d->kind == ast::DeclKind::Pipeline) return &d->as<ast::PipelineDecl>().params;
  if (d->kind == ast::DeclKind::Step || d->kind == ast::DeclKind::Server)
    return &d->as<ast::StepDecl>().params;
  return nullptr;
}

} // namespace

std::optional<SourceRange> declarationOf(const sema::Program& prog, const ast::Expr& e) {
  if (const sema::Resolution* r = prog.resolution(&e))
    if (auto loc = resolved(*r)) return loc;
  if (e.kind != ast::ExprKind::Member) return std::nullopt;
  // `split.train`: the output `train` of the step whose call made `split`.
  auto& me = e.as<ast::MemberExpr>();
  if (const ast::StepDecl* s = producer(prog, me.object.get()))
    for (auto& o : s->outputs)
      if (o.name.name == me.member.name) return o.name.range;
  return std::nullopt;
}

std::optional<SourceRange> declarationOfArg(const sema::Program& prog, const ast::CallExpr& call,
                                            const ast::Arg& arg) {
  const sema::CallBinding* b = prog.call(&call);
  if (const auto* ps = paramsOf(b ? b->callee : nullptr))
    for (auto& p : *ps)
      if (p.name.name == arg.name.name) return p.name.range;
  return std::nullopt;
}

std::optional<SourceRange> definition(const sema::Program& prog, const sema::Module& m,
                                      uint32_t offset) {
  Target tg = locate(m.ast, offset);
  switch (tg.kind) {
  case TargetKind::Expr:
    if (const sema::Resolution* r = prog.resolution(tg.expr)) return resolved(*r);
    return std::nullopt;
  case TargetKind::MemberName:
    return declarationOf(prog, *tg.expr);
  case TargetKind::ArgName:
    return declarationOfArg(prog, tg.expr->as<ast::CallExpr>(), *tg.arg);
  case TargetKind::ImportPath: {
    auto it = m.imports.find(tg.decl->name.name);
    if (it == m.imports.end()) return std::nullopt;
    return SourceRange{it->second->ast.file, 0, 0};
  }
  case TargetKind::DeclName:
    return tg.decl->name.range;
  case TargetKind::ParamName:
    return tg.param->name.range;
  case TargetKind::BindingName:
    return tg.stmt->as<ast::AssignStmt>().name.range;
  case TargetKind::LoopVarName:
    return tg.stmt->as<ast::ForStmt>().var.range;
  default:
    return std::nullopt;
  }
}

} // namespace mlpc::query
