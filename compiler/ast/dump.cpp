// `mlpc parse --dump-ast`: one node per line, indented by depth, with its range.
#include "ast/ast.h"

#include <charconv>
#include <sstream>

namespace mlpc::ast {

namespace {

class Dumper {
public:
  explicit Dumper(const SourceManager& sm) : sm_(sm) {}
  std::string str() const { return out_.str(); }

  void module(const Module& m) {
    line(0, "Module", {});
    for (auto& d : m.decls)
      decl(1, *d);
  }

private:
  std::string where(SourceRange r) const {
    if (!r.valid()) return "";
    LineCol b = sm_.start(r), e = sm_.end(r);
    return " @" + std::to_string(b.line) + ":" + std::to_string(b.col) + "-" +
           std::to_string(e.line) + ":" + std::to_string(e.col);
  }
  void line(int depth, const std::string& text, SourceRange r) {
    out_ << std::string(depth * 2, ' ') << text << where(r) << "\n";
  }
  static std::string quote(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '\n')
        q += "\\n";
      else if (c == '"' || c == '\\')
        q += std::string("\\") + c;
      else
        q += c;
    }
    return q + "\"";
  }

  std::string typeText(const TypeExpr& t) {
    std::string s = t.name.name;
    if (!t.args.empty()) {
      s += "<";
      for (size_t i = 0; i < t.args.size(); ++i)
        s += (i ? ", " : "") + typeText(t.args[i]);
      s += ">";
    }
    if (t.hasFields) {
      s += "{";
      for (size_t i = 0; i < t.fields.size(); ++i)
        s += (i ? ", " : "") + t.fields[i].name.name + ": " + typeText(t.fields[i].type);
      s += "}";
    }
    return s;
  }

  void params(int depth, const char* what, const std::vector<Param>& ps) {
    for (auto& p : ps) {
      line(depth, std::string(what) + " " + p.name.name + ": " + typeText(p.type), p.range);
      if (p.defaultValue) expr(depth + 1, *p.defaultValue);
    }
  }
  void props(int depth, const std::vector<Property>& ps) {
    for (auto& p : ps) {
      line(depth, "Property " + p.name.name, p.range);
      expr(depth + 1, *p.value);
    }
  }

  void decl(int depth, const Decl& d) {
    std::string head = std::string(keyword(d.kind)) + " " + d.name.name;
    switch (d.kind) {
    case DeclKind::Import: {
      auto& i = d.as<ImportDecl>();
      line(depth, "Import " + quote(i.path) + " as " + i.name.name + (i.hasAlias ? "" : " (stem)"),
           d.range);
      break;
    }
    case DeclKind::Data: {
      auto& x = d.as<DataDecl>();
      line(depth, "Data " + d.name.name + ": " + typeText(x.type), d.range);
      expr(depth + 1, *x.init);
      break;
    }
    case DeclKind::Step:
    case DeclKind::Server: {
      auto& s = d.as<StepDecl>();
      line(depth, std::string(d.kind == DeclKind::Step ? "Step " : "Server ") + d.name.name,
           d.range);
      params(depth + 1, "Param", s.params);
      params(depth + 1, s.unnamedOutput ? "Output (unnamed)" : "Output", s.outputs);
      props(depth + 1, s.props);
      break;
    }
    case DeclKind::Pipeline: {
      auto& p = d.as<PipelineDecl>();
      line(depth, "Pipeline " + d.name.name, d.range);
      params(depth + 1, "Param", p.params);
      block(depth + 1, p.body);
      break;
    }
    default: {
      std::string kind = keyword(d.kind);
      kind[0] = static_cast<char>(std::toupper(kind[0]));
      line(depth, kind + " " + d.name.name, d.range);
      props(depth + 1, d.as<PolicyDecl>().props);
      (void)head;
    }
    }
  }

  void block(int depth, const Block& b) {
    line(depth, "Block", b.range);
    for (auto& s : b.stmts)
      stmt(depth + 1, *s);
  }

  void stmt(int depth, const Stmt& s) {
    switch (s.kind) {
    case StmtKind::Assign: {
      auto& a = s.as<AssignStmt>();
      line(depth, "Assign " + a.name.name, s.range);
      expr(depth + 1, *a.value);
      break;
    }
    case StmtKind::For: {
      auto& f = s.as<ForStmt>();
      line(depth, "For " + f.var.name, s.range);
      expr(depth + 1, *f.iterable);
      block(depth + 1, f.body);
      break;
    }
    case StmtKind::If: {
      auto& i = s.as<IfStmt>();
      line(depth, "If", s.range);
      expr(depth + 1, *i.cond);
      block(depth + 1, i.then);
      if (i.hasElse) {
        line(depth, "Else", i.otherwise.range);
        block(depth + 1, i.otherwise);
      }
      break;
    }
    case StmtKind::Register: {
      auto& r = s.as<RegisterStmt>();
      line(depth, "Register", s.range);
      expr(depth + 1, *r.model);
      expr(depth + 1, *r.group);
      if (r.with) expr(depth + 1, *r.with);
      break;
    }
    case StmtKind::Fail:
      line(depth, "Fail", s.range);
      expr(depth + 1, *s.as<FailStmt>().message);
      break;
    }
  }

  void expr(int depth, const Expr& e) {
    switch (e.kind) {
    case ExprKind::Int:
    case ExprKind::Float:
    case ExprKind::Duration:
    case ExprKind::Size:
    case ExprKind::Percent: {
      static const char* names[] = {"Int", "Float", "Duration", "Size", "Percent"};
      auto& n = e.as<NumberLit>();
      // The shortest text that reads back as the same double (`<<` would keep 6 digits).
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, n.value);
      line(depth,
           std::string(names[static_cast<int>(e.kind)]) + " " + std::string(sm_.text(e.range)) +
               " = " + std::string(buf, res.ptr),
           e.range);
      break;
    }
    case ExprKind::Bool:
      line(depth, e.as<BoolLit>().value ? "Bool true" : "Bool false", e.range);
      break;
    case ExprKind::String: {
      auto& s = e.as<StringLit>();
      line(depth, s.triple ? "String (triple)" : "String", e.range);
      for (auto& p : s.parts) {
        if (p.expr) {
          line(depth + 1, "Interp", p.range);
          expr(depth + 2, *p.expr);
        } else {
          line(depth + 1, "Text " + quote(p.text), p.range);
        }
      }
      break;
    }
    case ExprKind::Name:
      line(depth, "Name " + e.as<NameExpr>().name, e.range);
      break;
    case ExprKind::Member: {
      auto& m = e.as<MemberExpr>();
      line(depth, "Member ." + m.member.name, e.range);
      expr(depth + 1, *m.object);
      break;
    }
    case ExprKind::Call: {
      auto& c = e.as<CallExpr>();
      line(depth, "Call", e.range);
      expr(depth + 1, *c.callee);
      for (auto& a : c.args) {
        line(depth + 1, a.named ? "Arg " + a.name.name : std::string("Arg (positional)"), a.range);
        expr(depth + 2, *a.value);
      }
      break;
    }
    case ExprKind::Index: {
      auto& i = e.as<IndexExpr>();
      line(depth, "Index", e.range);
      expr(depth + 1, *i.object);
      expr(depth + 1, *i.index);
      break;
    }
    case ExprKind::Unary: {
      auto& u = e.as<UnaryExpr>();
      line(depth, u.op == UnaryOp::Neg ? "Neg" : "Not", e.range);
      expr(depth + 1, *u.operand);
      break;
    }
    case ExprKind::Binary: {
      auto& b = e.as<BinaryExpr>();
      line(depth, std::string("Binary ") + spelling(b.op), e.range);
      expr(depth + 1, *b.lhs);
      expr(depth + 1, *b.rhs);
      break;
    }
    case ExprKind::List: {
      line(depth, "List", e.range);
      for (auto& x : e.as<ListExpr>().elems)
        expr(depth + 1, *x);
      break;
    }
    case ExprKind::Record: {
      line(depth, "Record", e.range);
      for (auto& f : e.as<RecordExpr>().fields) {
        line(depth + 1, "Field " + f.name.name, f.name.range);
        expr(depth + 2, *f.value);
      }
      break;
    }
    case ExprKind::Error:
      line(depth, "Error", e.range);
      break;
    }
  }

  const SourceManager& sm_;
  std::ostringstream out_;
};

} // namespace

std::string dump(const Module& m, const SourceManager& sm) {
  Dumper d(sm);
  d.module(m);
  return d.str();
}

} // namespace mlpc::ast
