#pragma once
// A walk over every use of a name in a module (names, members, named arguments, `${…}` in
// strings), shared by references and semantic tokens.
#include "ast/ast.h"

#include <functional>

namespace mlpc::query {

/// Calls `use` for every name, member and named argument in a module, in source order.
class Uses {
public:
  using Fn = std::function<void(const ast::Expr&, const ast::CallExpr*, const ast::Arg*)>;
  explicit Uses(Fn f) : use(std::move(f)) {}

  void module(const ast::Module& m) {
    for (auto& d : m.decls)
      decl(*d);
  }

private:
  Fn use;

  void params(const std::vector<ast::Param>& ps) {
    for (auto& p : ps)
      if (p.defaultValue) expr(*p.defaultValue);
  }
  void props(const std::vector<ast::Property>& ps) {
    for (auto& p : ps)
      if (p.value) expr(*p.value);
  }
  void decl(const ast::Decl& d) {
    switch (d.kind) {
    case ast::DeclKind::Import:
      return;
    case ast::DeclKind::Data:
      if (auto& i = d.as<ast::DataDecl>().init) expr(*i);
      return;
    case ast::DeclKind::Step:
    case ast::DeclKind::Server:
      params(d.as<ast::StepDecl>().params);
      props(d.as<ast::StepDecl>().props);
      return;
    case ast::DeclKind::Pipeline:
      params(d.as<ast::PipelineDecl>().params);
      block(d.as<ast::PipelineDecl>().body);
      return;
    default:
      props(d.as<ast::PolicyDecl>().props);
      return;
    }
  }
  void block(const ast::Block& b) {
    for (auto& s : b.stmts)
      stmt(*s);
  }
  void stmt(const ast::Stmt& s) {
    switch (s.kind) {
    case ast::StmtKind::Assign:
      if (auto& v = s.as<ast::AssignStmt>().value) expr(*v);
      return;
    case ast::StmtKind::For:
      if (auto& i = s.as<ast::ForStmt>().iterable) expr(*i);
      block(s.as<ast::ForStmt>().body);
      return;
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
    switch (e.kind) {
    case ast::ExprKind::Name:
      use(e, nullptr, nullptr);
      return;
    case ast::ExprKind::Member:
      if (auto& o = e.as<ast::MemberExpr>().object) expr(*o);
      use(e, nullptr, nullptr);
      return;
    case ast::ExprKind::Call: {
      auto& c = e.as<ast::CallExpr>();
      if (c.callee) expr(*c.callee);
      for (auto& a : c.args) {
        if (a.named) use(e, &c, &a);
        if (a.value) expr(*a.value);
      }
      return;
    }
    case ast::ExprKind::Index:
      if (auto& o = e.as<ast::IndexExpr>().object) expr(*o);
      if (auto& i = e.as<ast::IndexExpr>().index) expr(*i);
      return;
    case ast::ExprKind::Unary:
      if (auto& o = e.as<ast::UnaryExpr>().operand) expr(*o);
      return;
    case ast::ExprKind::Binary:
      if (auto& l = e.as<ast::BinaryExpr>().lhs) expr(*l);
      if (auto& r = e.as<ast::BinaryExpr>().rhs) expr(*r);
      return;
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

} // namespace mlpc::query
