// Hover: a short markdown text about the thing at an offset.
#include "query/describe.h"
#include "query/query.h"

#include <cmath>
#include <cstdio>

namespace mlpc::query {

namespace {

std::string code(const std::string& s) {
  return "```mlp\n" + s + "\n```";
}

std::string declHover(const sema::Program& prog, const sema::Module& here, const ast::Decl& d) {
  std::string out = code(signature(prog, d));
  auto mit = prog.declModule.find(&d);
  const sema::Module* owner = mit == prog.declModule.end() ? nullptr : mit->second;
  if (std::string doc = docComment(prog.sm, d.range); !doc.empty()) out += "\n\n" + doc;
  if (owner && owner != &here)
    out += "\n\n*from " +
           (owner->stdlibName.empty() ? owner->displayPath : "`" + owner->stdlibName + "`") + "*";
  return out;
}

std::string typed(const std::string& what, const std::string& name, const sema::Type& t) {
  return code("(" + what + ") " + name + (t.isError() ? "" : ": " + t.str()));
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

/// `5m` is 300 s, `2GiB` is 2147483648 bytes: the value the runtime sees.
std::string unitValue(const ast::NumberLit& n, const SourceManager& sm) {
  std::string spelling(sm.text(n.range));
  switch (n.kind) {
  case ast::ExprKind::Duration:
    return "`" + spelling + "` = " + number(n.value) + " s";
  case ast::ExprKind::Size:
    return "`" + spelling + "` = " + std::to_string(n.intValue) + " bytes";
  case ast::ExprKind::Percent:
    return "`" + spelling + "` = " + number(n.value / 100.0) + " as a fraction";
  default:
    return "";
  }
}

std::optional<std::string> nameHover(const sema::Program& prog, const sema::Module& here,
                                     const ast::Expr& e, const std::string& name) {
  const sema::Resolution* r = prog.resolution(&e);
  sema::Type t = prog.typeOf(&e);
  if (!r) {
    if (t.isError()) return std::nullopt;
    return code(name + ": " + t.str());
  }
  switch (r->kind) {
  case sema::RefKind::PipelineParam:
  case sema::RefKind::StepParam:
    return typed("parameter", name, t);
  case sema::RefKind::StepOutput:
    return typed("output", name, t);
  case sema::RefKind::Binding:
    return typed(r->forDepth ? "list of a loop's results" : "binding", name, t);
  case sema::RefKind::LoopVar:
    return typed("loop variable", name, t);
  case sema::RefKind::Data:
  case sema::RefKind::Decl:
    if (r->decl) return declHover(prog, here, *r->decl);
    break;
  case sema::RefKind::Module:
    if (r->module) {
      std::string out = code("module " + name);
      out += "\n\n" + (r->module->stdlibName.empty() ? r->module->displayPath
                                                     : "`" + r->module->stdlibName + "`");
      if (std::string doc = docComment(prog.sm, {r->module->ast.file, 0, 0}); !doc.empty())
        out += "\n\n" + doc;
      return out;
    }
    break;
  case sema::RefKind::Builtin:
    return code("(builtin) " + name + (t.isError() ? "" : ": " + t.str()));
  case sema::RefKind::Port:
    return code("(server port) port: int");
  case sema::RefKind::Context:
  case sema::RefKind::None:
    break;
  }
  if (t.isError()) return std::nullopt;
  return code(name + ": " + t.str());
}

} // namespace

std::optional<HoverInfo> hover(const sema::Program& prog, const sema::Module& m, uint32_t offset) {
  Target tg = locate(m.ast, offset);
  HoverInfo h;
  h.range = tg.range;
  switch (tg.kind) {
  case TargetKind::None:
    return std::nullopt;
  case TargetKind::Expr: {
    const ast::Expr& e = *tg.expr;
    if (e.kind == ast::ExprKind::Name) {
      auto s = nameHover(prog, m, e, e.as<ast::NameExpr>().name);
      if (!s) return std::nullopt;
      h.markdown = *s;
      return h;
    }
    sema::Type t = prog.typeOf(&e);
    if (e.kind == ast::ExprKind::Duration || e.kind == ast::ExprKind::Size ||
        e.kind == ast::ExprKind::Percent) {
      h.markdown =
          code(t.isError() ? "" : t.str()) + "\n\n" + unitValue(e.as<ast::NumberLit>(), prog.sm);
      return h;
    }
    if (t.isError()) return std::nullopt;
    h.markdown = code(t.str());
    return h;
  }
  case TargetKind::MemberName: {
    auto& me = tg.expr->as<ast::MemberExpr>();
    if (const sema::Resolution* r = prog.resolution(tg.expr);
        r && r->decl && (r->kind == sema::RefKind::Decl || r->kind == sema::RefKind::Data)) {
      h.markdown = declHover(prog, m, *r->decl);
      return h;
    }
    sema::Type t = prog.typeOf(tg.expr);
    if (t.isError()) return std::nullopt;
    sema::Type obj = prog.typeOf(me.object.get());
    const sema::Type& base = obj.kind == sema::TypeKind::List && obj.elem ? *obj.elem : obj;
    const char* what = base.kind == sema::TypeKind::Record ? "output" : "field";
    if (base.kind == sema::TypeKind::ModelGroup) what = "model version";
    h.markdown = typed(what, me.member.name, t);
    return h;
  }
  case TargetKind::ArgName: {
    const sema::CallBinding* b = prog.call(&tg.expr->as<ast::CallExpr>());
    if (b && b->callee) {
      const std::vector<ast::Param>* ps = nullptr;
      if (b->callee->kind == ast::DeclKind::Pipeline)
        ps = &b->callee->as<ast::PipelineDecl>().params;
      else if (b->callee->kind == ast::DeclKind::Step || b->callee->kind == ast::DeclKind::Server)
        ps = &b->callee->as<ast::StepDecl>().params;
      if (ps)
        for (auto& p : *ps)
          if (p.name.name == tg.arg->name.name) {
            h.markdown = code("(parameter) " + paramText(prog.sm, p)) + "\n\nof `" +
                         b->callee->name.name + "`";
            return h;
          }
    }
    if (tg.arg->value) {
      sema::Type t = prog.typeOf(tg.arg->value.get());
      if (!t.isError()) {
        h.markdown = code("(argument) " + tg.arg->name.name + ": " + t.str());
        return h;
      }
    }
    return std::nullopt;
  }
  case TargetKind::DeclName:
    h.markdown = declHover(prog, m, *tg.decl);
    return h;
  case TargetKind::ParamName: {
    sema::Type t = prog.paramType(*tg.param);
    std::string s = tg.isOutput ? "(output) " : "(parameter) ";
    s += tg.param->name.name + ": " + (t.isError() ? paramText(prog.sm, *tg.param) : t.str());
    h.markdown = code(s);
    return h;
  }
  case TargetKind::PropertyName: {
    std::string s = "(property) " + tg.prop->name.name;
    if (tg.prop->value) {
      sema::Type t = prog.typeOf(tg.prop->value.get());
      if (!t.isError()) s += ": " + t.str();
    }
    h.markdown =
        code(s) + "\n\nof " + ast::keyword(tg.decl->kind) + " `" + tg.decl->name.name + "`";
    return h;
  }
  case TargetKind::BindingName: {
    const sema::Type* t = prog.bindingType(tg.stmt);
    const std::string& n = tg.stmt->as<ast::AssignStmt>().name.name;
    if (!t || t->isError()) return std::nullopt;
    h.markdown = typed("binding", n, *t);
    return h;
  }
  case TargetKind::LoopVarName: {
    auto& f = tg.stmt->as<ast::ForStmt>();
    sema::Type lt = prog.typeOf(f.iterable.get());
    if (lt.kind != sema::TypeKind::List || !lt.elem) return std::nullopt;
    h.markdown = typed("loop variable", f.var.name, *lt.elem);
    return h;
  }
  case TargetKind::ImportPath: {
    auto it = m.imports.find(tg.decl->name.name);
    if (it == m.imports.end()) return std::nullopt;
    const sema::Module& dep = *it->second;
    h.markdown = code(signature(prog, *tg.decl)) + "\n\n" + dep.displayPath;
    if (std::string doc = docComment(prog.sm, {dep.ast.file, 0, 0}); !doc.empty())
      h.markdown += "\n\n" + doc;
    return h;
  }
  case TargetKind::TypeName:
    h.markdown = code("(type) " + tg.type->name.name);
    return h;
  }
  return std::nullopt;
}

} // namespace mlpc::query
