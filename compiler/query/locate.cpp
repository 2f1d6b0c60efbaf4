// Position -> node: a walk down the syntax tree that keeps the innermost node covering an offset.
#include "query/query.h"

namespace mlpc::query {

namespace {

bool covers(SourceRange r, uint32_t off) {
  return r.valid() && r.begin <= off && off <= r.end;
}

class Locator {
public:
  explicit Locator(uint32_t off) : off(off) {}
  Target found;

  void module(const ast::Module& m) {
    for (auto& d : m.decls)
      if (covers(d->range, off)) decl(*d);
  }

private:
  uint32_t off;

  void set(TargetKind k, SourceRange r) {
    found = Target{};
    found.kind = k;
    found.range = r;
  }

  void decl(const ast::Decl& d) {
    if (covers(d.name.range, off) && d.kind != ast::DeclKind::Import) {
      set(TargetKind::DeclName, d.name.range);
      found.decl = &d;
      return;
    }
    switch (d.kind) {
    case ast::DeclKind::Import: {
      auto& imp = d.as<ast::ImportDecl>();
      set(TargetKind::ImportPath, covers(imp.pathRange, off) ? imp.pathRange : d.range);
      found.decl = &d;
      return;
    }
    case ast::DeclKind::Data: {
      auto& dd = d.as<ast::DataDecl>();
      typeExpr(dd.type);
      if (dd.init) expr(*dd.init);
      return;
    }
    case ast::DeclKind::Step:
    case ast::DeclKind::Server: {
      auto& s = d.as<ast::StepDecl>();
      params(d, s.params, false);
      params(d, s.outputs, true);
      properties(d, s.props);
      return;
    }
    case ast::DeclKind::Pipeline: {
      auto& p = d.as<ast::PipelineDecl>();
      params(d, p.params, false);
      block(p.body);
      return;
    }
    default:
      properties(d, d.as<ast::PolicyDecl>().props);
      return;
    }
  }

  void params(const ast::Decl& d, const std::vector<ast::Param>& ps, bool outputs) {
    for (auto& p : ps) {
      if (!covers(p.range, off) && !covers(p.name.range, off)) continue;
      if (covers(p.name.range, off)) {
        set(TargetKind::ParamName, p.name.range);
        found.decl = &d;
        found.param = &p;
        found.isOutput = outputs;
        return;
      }
      typeExpr(p.type);
      if (p.defaultValue) expr(*p.defaultValue);
    }
  }

  void properties(const ast::Decl& d, const std::vector<ast::Property>& props) {
    for (auto& p : props) {
      if (covers(p.name.range, off)) {
        set(TargetKind::PropertyName, p.name.range);
        found.decl = &d;
        found.prop = &p;
        return;
      }
      if (p.value && covers(p.value->range, off)) expr(*p.value);
    }
  }

  void typeExpr(const ast::TypeExpr& t) {
    if (!covers(t.range, off) && !covers(t.name.range, off)) return;
    if (covers(t.name.range, off)) {
      set(TargetKind::TypeName, t.name.range);
      found.type = &t;
      return;
    }
    for (auto& a : t.args)
      typeExpr(a);
    for (auto& f : t.fields)
      typeExpr(f.type);
  }

  void block(const ast::Block& b) {
    for (auto& s : b.stmts)
      if (covers(s->range, off)) stmt(*s);
  }

  void stmt(const ast::Stmt& s) {
    switch (s.kind) {
    case ast::StmtKind::Assign: {
      auto& a = s.as<ast::AssignStmt>();
      if (covers(a.name.range, off)) {
        set(TargetKind::BindingName, a.name.range);
        found.stmt = &s;
        return;
      }
      if (a.value) expr(*a.value);
      return;
    }
    case ast::StmtKind::For: {
      auto& f = s.as<ast::ForStmt>();
      if (covers(f.var.range, off)) {
        set(TargetKind::LoopVarName, f.var.range);
        found.stmt = &s;
        return;
      }
      if (f.iterable) expr(*f.iterable);
      block(f.body);
      return;
    }
    case ast::StmtKind::If: {
      auto& i = s.as<ast::IfStmt>();
      if (i.cond) expr(*i.cond);
      block(i.then);
      if (i.hasElse) block(i.otherwise);
      return;
    }
    case ast::StmtKind::Register: {
      auto& r = s.as<ast::RegisterStmt>();
      for (auto* e : {r.model.get(), r.group.get(), r.with.get()})
        if (e) expr(*e);
      return;
    }
    case ast::StmtKind::Fail:
      if (auto& m = s.as<ast::FailStmt>().message) expr(*m);
      return;
    }
  }

  void expr(const ast::Expr& e) {
    if (!covers(e.range, off)) return;
    set(TargetKind::Expr, e.range);
    found.expr = &e;
    switch (e.kind) {
    case ast::ExprKind::Member: {
      auto& m = e.as<ast::MemberExpr>();
      if (covers(m.member.range, off)) {
        set(TargetKind::MemberName, m.member.range);
        found.expr = &e;
        return;
      }
      if (m.object) expr(*m.object);
      return;
    }
    case ast::ExprKind::Call: {
      auto& c = e.as<ast::CallExpr>();
      if (c.callee) expr(*c.callee);
      for (auto& a : c.args) {
        if (a.named && covers(a.name.range, off)) {
          set(TargetKind::ArgName, a.name.range);
          found.expr = &e;
          found.arg = &a;
          return;
        }
        if (a.value) expr(*a.value);
      }
      return;
    }
    case ast::ExprKind::Index: {
      auto& i = e.as<ast::IndexExpr>();
      if (i.object) expr(*i.object);
      if (i.index) expr(*i.index);
      return;
    }
    case ast::ExprKind::Unary:
      if (auto& o = e.as<ast::UnaryExpr>().operand) expr(*o);
      return;
    case ast::ExprKind::Binary: {
      auto& b = e.as<ast::BinaryExpr>();
      if (b.lhs) expr(*b.lhs);
      if (b.rhs) expr(*b.rhs);
      return;
    }
    case ast::ExprKind::List:
      for (auto& x : e.as<ast::ListExpr>().elems)
        if (x) expr(*x);
      return;
    case ast::ExprKind::Record:
      for (auto& f : e.as<ast::RecordExpr>().fields)
        if (f.value) expr(*f.value);
      return;
    case ast::ExprKind::String:
      for (auto& p : e.as<ast::StringLit>().parts)
        if (p.expr) expr(*p.expr);
      return;
    default:
      return;
    }
  }
};

} // namespace

Target locate(const ast::Module& m, uint32_t offset) {
  Locator l(offset);
  l.module(m);
  return l.found;
}

const sema::Module* moduleOfFile(const sema::Program& prog, FileId file) {
  for (auto& m : prog.modules)
    if (m->ast.file == file) return m.get();
  return nullptr;
}

const sema::Module* moduleByPath(const sema::Program& prog, const std::string& path) {
  for (auto& m : prog.modules)
    if (m->path == path) return m.get();
  return nullptr;
}

} // namespace mlpc::query
