#include "query/describe.h"

namespace mlpc::query {

namespace {
std::string text(const SourceManager& sm, SourceRange r) {
  if (!r.valid()) return "";
  std::string s(sm.text(r));
  // A signature spread over lines reads as one line in a hover.
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string paramList(const SourceManager& sm, const std::vector<ast::Param>& ps) {
  std::string s;
  for (auto& p : ps)
    s += (s.empty() ? "" : ", ") + paramText(sm, p);
  return s;
}
} // namespace

std::string paramText(const SourceManager& sm, const ast::Param& p) {
  std::string s = p.name.name + ": " + text(sm, p.type.range);
  if (p.defaultValue) s += " = " + text(sm, p.defaultValue->range);
  return s;
}

std::string signature(const sema::Program& prog, const ast::Decl& d) {
  const SourceManager& sm = prog.sm;
  std::string head = std::string(ast::keyword(d.kind)) + " " + d.name.name;
  switch (d.kind) {
  case ast::DeclKind::Step:
  case ast::DeclKind::Server: {
    auto& s = d.as<ast::StepDecl>();
    head += "(" + paramList(sm, s.params) + ")";
    if (s.unnamedOutput && s.outputs.size() == 1)
      head += " -> " + text(sm, s.outputs[0].type.range);
    else if (!s.outputs.empty())
      head += " -> (" + paramList(sm, s.outputs) + ")";
    return head;
  }
  case ast::DeclKind::Pipeline:
    return head + "(" + paramList(sm, d.as<ast::PipelineDecl>().params) + ")";
  case ast::DeclKind::Data: {
    auto it = prog.dataTypes.find(&d);
    return head + ": " +
           (it != prog.dataTypes.end() && !it->second.isError()
                ? it->second.str()
                : text(sm, d.as<ast::DataDecl>().type.range));
  }
  case ast::DeclKind::Import: {
    auto& imp = d.as<ast::ImportDecl>();
    return "import \"" + imp.path + "\"" + (imp.hasAlias ? " as " + d.name.name : "");
  }
  default:
    return head;
  }
}

const ast::StepDecl* producer(const sema::Program& prog, const ast::Expr* object) {
  for (int hops = 0; object && hops < 64; ++hops) {
    if (object->kind == ast::ExprKind::Call) {
      const sema::CallBinding* b = prog.call(&object->as<ast::CallExpr>());
      if (!b || !b->callee) return nullptr;
      if (b->callee->kind != ast::DeclKind::Step && b->callee->kind != ast::DeclKind::Server)
        return nullptr;
      return &b->callee->as<ast::StepDecl>();
    }
    if (object->kind == ast::ExprKind::Index) {
      object = object->as<ast::IndexExpr>().object.get();
      continue;
    }
    const sema::Resolution* r = prog.resolution(object);
    if (!r || r->kind != sema::RefKind::Binding || !r->stmt) return nullptr;
    object = r->stmt->as<ast::AssignStmt>().value.get();
  }
  return nullptr;
}

} // namespace mlpc::query
