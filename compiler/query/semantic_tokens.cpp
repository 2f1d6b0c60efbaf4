// Semantic tokens: the lexer's tokens, with names classified from the syntax tree (what a
// declaration declares) and sema's resolutions (what a use refers to).
#include "query/query.h"
#include "query/uses.h"
#include "syntax/lex.h"

#include <map>

namespace mlpc::query {

const std::vector<std::string>& semanticTypeNames() {
  static const std::vector<std::string> names = {
      "namespace", "type",     "class",   "interface", "event",  "function", "parameter",
      "variable",  "property", "keyword", "string",    "number", "comment",  "operator"};
  return names;
}

const std::vector<std::string>& semanticModifierNames() {
  static const std::vector<std::string> names = {"declaration", "defaultLibrary", "unit"};
  return names;
}

namespace {

using T = SemanticType;

struct Class {
  T type;
  unsigned modifiers;
  uint32_t end;
};

T typeOfDecl(ast::DeclKind k) {
  switch (k) {
  case ast::DeclKind::Import:
    return T::Namespace;
  case ast::DeclKind::Data:
    return T::Variable;
  case ast::DeclKind::Step:
  case ast::DeclKind::Pipeline:
    return T::Function;
  case ast::DeclKind::Server:
  case ast::DeclKind::Model:
    return T::Class;
  case ast::DeclKind::Endpoint:
    return T::Interface;
  case ast::DeclKind::Monitor:
  case ast::DeclKind::Schedule:
    return T::Event;
  }
  return T::Variable;
}

/// The names of one module by their first byte.
class Names {
public:
  Names(const sema::Program& prog, const sema::Module& m) : prog_(prog) {
    for (auto& d : m.ast.decls)
      decl(*d);
    Uses uses([this](const ast::Expr& e, const ast::CallExpr*, const ast::Arg* arg) {
      if (arg) return set(arg->name.range, T::Parameter);
      use(e);
    });
    uses.module(m.ast);
  }
  std::map<uint32_t, Class> at;

private:
  const sema::Program& prog_;

  void set(SourceRange r, T type, unsigned mods = 0) {
    if (r.valid() && r.end > r.begin) at[r.begin] = {type, mods, r.end};
  }

  void decl(const ast::Decl& d) {
    set(d.name.range, typeOfDecl(d.kind), kDeclaration);
    switch (d.kind) {
    case ast::DeclKind::Data:
      type(d.as<ast::DataDecl>().type);
      return;
    case ast::DeclKind::Step:
    case ast::DeclKind::Server: {
      auto& s = d.as<ast::StepDecl>();
      params(s.params);
      params(s.outputs);
      properties(s.props);
      return;
    }
    case ast::DeclKind::Pipeline: {
      auto& p = d.as<ast::PipelineDecl>();
      params(p.params);
      block(p.body);
      return;
    }
    case ast::DeclKind::Import:
      return;
    default:
      properties(d.as<ast::PolicyDecl>().props);
      return;
    }
  }
  void params(const std::vector<ast::Param>& ps) {
    for (auto& p : ps) {
      set(p.name.range, T::Parameter, kDeclaration);
      type(p.type);
    }
  }
  void properties(const std::vector<ast::Property>& ps) {
    for (auto& p : ps)
      set(p.name.range, T::Property);
  }
  void type(const ast::TypeExpr& t) {
    set(t.name.range, T::Type);
    for (auto& a : t.args)
      type(a);
    for (auto& f : t.fields) {
      set(f.name.range, T::Property, kDeclaration);
      type(f.type);
    }
  }
  void block(const ast::Block& b) {
    for (auto& s : b.stmts) {
      switch (s->kind) {
      case ast::StmtKind::Assign:
        set(s->as<ast::AssignStmt>().name.range, T::Variable, kDeclaration);
        break;
      case ast::StmtKind::For:
        set(s->as<ast::ForStmt>().var.range, T::Variable, kDeclaration);
        block(s->as<ast::ForStmt>().body);
        break;
      case ast::StmtKind::If: {
        auto& i = s->as<ast::IfStmt>();
        block(i.then);
        if (i.hasElse) block(i.otherwise);
        break;
      }
      default:
        break;
      }
    }
  }

  void use(const ast::Expr& e) {
    SourceRange r =
        e.kind == ast::ExprKind::Member ? e.as<ast::MemberExpr>().member.range : e.range;
    const sema::Resolution* res = prog_.resolution(&e);
    if (!res) {
      // An output or a field: `split.train`, `m.metrics.auc`.
      if (e.kind == ast::ExprKind::Member && !prog_.typeOf(&e).isError()) set(r, T::Property);
      return;
    }
    unsigned lib = res->module && !res->module->stdlibName.empty() ? unsigned{kDefaultLibrary} : 0u;
    switch (res->kind) {
    case sema::RefKind::PipelineParam:
    case sema::RefKind::StepParam:
      return set(r, T::Parameter);
    case sema::RefKind::Binding:
    case sema::RefKind::LoopVar:
    case sema::RefKind::Data:
      return set(r, T::Variable);
    case sema::RefKind::Decl:
      if (res->decl) set(r, typeOfDecl(res->decl->kind), lib);
      return;
    case sema::RefKind::Module:
      return set(r, T::Namespace, lib);
    case sema::RefKind::StepOutput:
      return set(r, T::Property);
    case sema::RefKind::Builtin:
    case sema::RefKind::Port:
    case sema::RefKind::Context:
      return set(r,
                 e.kind == ast::ExprKind::Name && prog_.typeOf(&e).kind == sema::TypeKind::Builtin
                     ? T::Function
                     : T::Variable,
                 kDefaultLibrary);
    case sema::RefKind::None:
      return;
    }
  }
};

bool isOperator(const std::string& s) {
  static const char* ops[] = {"+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!="};
  for (const char* o : ops)
    if (s == o) return true;
  return false;
}

} // namespace

std::vector<SemanticToken> semanticTokens(const sema::Program& prog, const sema::Module& m) {
  std::vector<SemanticToken> out;
  Names names(prog, m);
  auto emit = [&](uint32_t b, uint32_t e, T type, unsigned mods = 0) {
    if (e > b) out.push_back({b, e, type, mods});
  };
  for (const syntax::LexToken& t : syntax::lex(prog.sm.file(m.ast.file).text())) {
    switch (t.kind) {
    case syntax::LexKind::Name:
    case syntax::LexKind::DeclWord: {
      auto it = names.at.find(t.begin);
      if (it != names.at.end() && it->second.end == t.end)
        emit(t.begin, t.end, it->second.type, it->second.modifiers);
      else if (t.kind == syntax::LexKind::DeclWord)
        emit(t.begin, t.end, T::Keyword);
      break;
    }
    case syntax::LexKind::Keyword:
      emit(t.begin, t.end, T::Keyword);
      break;
    case syntax::LexKind::String: {
      // The names of `${…}` interpolations cut the string into pieces.
      uint32_t from = t.begin;
      for (auto it = names.at.upper_bound(t.begin); it != names.at.end() && it->first < t.end;
           ++it) {
        if (it->second.end > t.end || it->first < from) continue;
        emit(from, it->first, T::String);
        emit(it->first, it->second.end, it->second.type, it->second.modifiers);
        from = it->second.end;
      }
      emit(from, t.end, T::String);
      break;
    }
    case syntax::LexKind::Number:
      emit(t.begin, t.end, T::Number);
      break;
    case syntax::LexKind::Unit:
      emit(t.begin, t.end, T::Number, kUnit);
      break;
    case syntax::LexKind::Comment:
      emit(t.begin, t.end, T::Comment);
      break;
    case syntax::LexKind::Punctuation:
      if (isOperator(t.text)) emit(t.begin, t.end, T::Operator);
      break;
    case syntax::LexKind::Error:
      break;
    }
  }
  return out;
}

} // namespace mlpc::query
