// Document symbols: the outline of one file, from its syntax tree.
#include "query/query.h"

namespace mlpc::query {

namespace {

SymbolKind kindOf(ast::DeclKind k) {
  switch (k) {
  case ast::DeclKind::Import:
    return SymbolKind::Module;
  case ast::DeclKind::Data:
    return SymbolKind::Variable;
  case ast::DeclKind::Step:
  case ast::DeclKind::Pipeline:
    return SymbolKind::Function;
  case ast::DeclKind::Server:
  case ast::DeclKind::Model:
    return SymbolKind::Class;
  case ast::DeclKind::Endpoint:
    return SymbolKind::Interface;
  case ast::DeclKind::Monitor:
  case ast::DeclKind::Schedule:
    return SymbolKind::Event;
  }
  return SymbolKind::Variable;
}

/// A symbol whose selection lies inside its range, as the protocol requires.
Symbol make(std::string name, std::string detail, SymbolKind kind, SourceRange range,
            SourceRange selection) {
  Symbol s;
  s.name = name.empty() ? "(unnamed)" : std::move(name);
  s.detail = std::move(detail);
  s.kind = kind;
  if (!selection.valid() || !range.valid() || selection.file != range.file ||
      selection.begin < range.begin || selection.end > range.end)
    selection = range.valid() ? SourceRange{range.file, range.begin, range.begin} : selection;
  s.range = range;
  s.selection = selection;
  return s;
}

void params(std::vector<Symbol>& out, const std::vector<ast::Param>& ps, const char* detail) {
  for (auto& p : ps) {
    if (!p.range.valid()) continue;
    out.push_back(make(p.name.name, detail, SymbolKind::Field, p.range, p.name.range));
  }
}

void block(std::vector<Symbol>& out, const ast::Block& b) {
  for (auto& s : b.stmts) {
    if (s->kind == ast::StmtKind::Assign) {
      auto& a = s->as<ast::AssignStmt>();
      if (!a.name.name.empty())
        out.push_back(make(a.name.name, "", SymbolKind::Variable, a.range, a.name.range));
    } else if (s->kind == ast::StmtKind::For) {
      block(out, s->as<ast::ForStmt>().body);
    } else if (s->kind == ast::StmtKind::If) {
      auto& i = s->as<ast::IfStmt>();
      block(out, i.then);
      if (i.hasElse) block(out, i.otherwise);
    }
  }
}

} // namespace

std::vector<Symbol> documentSymbols(const ast::Module& m) {
  std::vector<Symbol> out;
  for (auto& d : m.decls) {
    if (!d->range.valid()) continue;
    std::string detail = ast::keyword(d->kind);
    SourceRange sel = d->name.range;
    if (d->kind == ast::DeclKind::Import) sel = d->as<ast::ImportDecl>().pathRange;
    Symbol s = make(d->name.name, detail, kindOf(d->kind), d->range, sel);
    switch (d->kind) {
    case ast::DeclKind::Step:
    case ast::DeclKind::Server: {
      auto& st = d->as<ast::StepDecl>();
      params(s.children, st.params, "parameter");
      params(s.children, st.outputs, "output");
      for (auto& p : st.props)
        s.children.push_back(
            make(p.name.name, "property", SymbolKind::Property, p.range, p.name.range));
      break;
    }
    case ast::DeclKind::Pipeline: {
      auto& p = d->as<ast::PipelineDecl>();
      params(s.children, p.params, "parameter");
      block(s.children, p.body);
      break;
    }
    case ast::DeclKind::Model:
    case ast::DeclKind::Endpoint:
    case ast::DeclKind::Monitor:
    case ast::DeclKind::Schedule:
      for (auto& p : d->as<ast::PolicyDecl>().props)
        s.children.push_back(
            make(p.name.name, "property", SymbolKind::Property, p.range, p.name.range));
      break;
    default:
      break;
    }
    // Children outside their parent's range (a tree left by error recovery) are dropped.
    std::erase_if(s.children, [&](const Symbol& c) {
      return !c.range.valid() || c.range.begin < s.range.begin || c.range.end > s.range.end;
    });
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace mlpc::query
