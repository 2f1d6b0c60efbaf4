#include "plan/expr_text.h"

#include "plan/plan.h"

#include <functional>

namespace mlpc::plan {

std::string sourceText(const ExprP& e, const std::set<std::string>& single, int depth) {
  return e ? sourceText(*e, single, depth) : "…";
}

std::string sourceText(const Expr& e, const std::set<std::string>& single, int depth) {
  if (depth > 5) return "…";
  auto sub = [&](const ExprP& x) { return sourceText(x, single, depth + 1); };
  switch (e.kind) {
  case ExprKind::Lit:
    if (e.value.is_string()) return "\"" + e.value.get<std::string>() + "\"";
    if (e.value.is_number())
      return commandText(e.value, e.value.is_number_integer() ? "int" : "float");
    return e.value.dump();
  case ExprKind::Param:
  case ExprKind::Data:
  case ExprKind::Var:
  case ExprKind::Arg:
  case ExprKind::Out:
  case ExprKind::Metric:
  case ExprKind::Builtin:
    return e.name;
  case ExprKind::Ref:
    return e.output && !single.count(e.name) ? e.name + "." + *e.output : e.name;
  case ExprKind::Field:
    return sub(e.of) + "." + e.name;
  case ExprKind::Op: {
    auto arg = [&](size_t i) {
      if (i >= e.items.size()) return std::string("…");
      std::string s = sub(e.items[i]);
      return e.items[i] && e.items[i]->kind == ExprKind::Op ? "(" + s + ")" : s;
    };
    if (e.name == "neg") return "-" + arg(0);
    if (e.name == "not") return "not " + arg(0);
    return arg(0) + " " + e.name + " " + arg(1);
  }
  case ExprKind::Call: {
    std::string s = e.name + "(";
    bool first = true;
    for (auto& a : e.named) {
      if (!a.value) continue;
      s += (first ? "" : ", ") + sub(a.value);
      first = false;
    }
    return s + ")";
  }
  case ExprKind::Index:
    return sub(e.of) + "[" + sub(e.index) + "]";
  case ExprKind::List: {
    std::string s = "[";
    for (size_t i = 0; i < e.items.size(); ++i)
      s += (i ? ", " : "") + sub(e.items[i]);
    return s + "]";
  }
  case ExprKind::Record: {
    std::string s = "{";
    for (size_t i = 0; i < e.named.size(); ++i)
      s += (i ? ", " : "") + e.named[i].name + ": " + sub(e.named[i].value);
    return s + "}";
  }
  case ExprKind::Interp: {
    std::string s = "\"";
    for (auto& p : e.parts)
      s += p.expr ? "${" + sub(p.expr) + "}" : p.text;
    return s + "\"";
  }
  case ExprKind::Model:
    return e.name + ".version";
  case ExprKind::Pipeline:
    return e.name + "(…)";
  default:
    return "…";
  }
}

std::set<std::string> singleOutputNodes(const Plan& plan) {
  std::set<std::string> out;
  std::function<void(const std::vector<Node>&)> walk = [&](const std::vector<Node>& list) {
    for (auto& n : list) {
      if (auto* c = n.as<CallNode>()) {
        const StepDef* d = plan.steps.find(c->step);
        if (d && d->outputs.size() == 1) out.insert(n.id);
      }
      if (n.as<TransformNode>()) out.insert(n.id);
      for (auto* ch : n.children())
        walk(*ch);
    }
  };
  walk(plan.nodes);
  return out;
}

} // namespace mlpc::plan
