#include "sched/values.h"

#include <cmath>

namespace mlpc::sched {

namespace {

std::optional<Json> fail(std::string& error, std::string msg) {
  error = std::move(msg);
  return std::nullopt;
}

bool isNumber(const Json& v) {
  return v.is_number();
}

/// `.field` on a value: a record's output, a Metrics artifact's field, or mapped over a list.
std::optional<Json> field(const Json& of, const std::string& name, const EvalEnv& env,
                          std::string& error) {
  if (of.is_array()) {
    Json out = Json::array();
    for (auto& x : of) {
      auto v = field(x, name, env, error);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
  if (of.is_object() && of.contains("$record")) {
    if (!of["$record"].contains(name)) return fail(error, "no output `" + name + "`");
    return of["$record"][name];
  }
  if (isArtifact(of)) {
    auto obj = env.readJson(of, error);
    if (!obj) return std::nullopt;
    if (!obj->is_object() || !obj->contains(name))
      return fail(error, "the metrics written by the step have no field `" + name + "`");
    return (*obj)[name];
  }
  if (of.is_object() && of.contains(name)) return of[name];
  return fail(error, "cannot read `." + name + "` of " + displayValue(of));
}

double num(const Json& v) {
  return v.get<double>();
}

/// An output of a call node: a single-output step's value is the output itself; a multi-output
/// step's value is a record of them; a lifted reference is a list of either.
std::optional<Json> output(const Json& v, const std::string& name, std::string& error) {
  if (v.is_array()) {
    Json out = Json::array();
    for (auto& x : v) {
      auto o = output(x, name, error);
      if (!o) return std::nullopt;
      out.push_back(*o);
    }
    return out;
  }
  if (v.is_object() && v.contains("$record")) {
    if (!v["$record"].contains(name)) return fail(error, "no output `" + name + "`");
    return v["$record"][name];
  }
  return v;
}

} // namespace

std::string displayValue(const Json& v) {
  if (isArtifact(v)) return v["$artifact"].get<std::string>().substr(0, 12);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? ", " : "") + displayValue(v[i]);
    return s + "]";
  }
  if (v.is_number()) return plan::commandText(v, v.is_number_integer() ? "int" : "float");
  return v.dump();
}

std::optional<Json> evaluate(const ExprP& e, const EvalScope& scope, const EvalEnv& env,
                             std::string& error) {
  if (!e) return Json();
  return evaluate(*e, scope, env, error);
}

namespace {

std::optional<Json> binary(const std::string& op, const Json& l, const Json& r,
                           std::string& error) {
  if (l.is_null() || r.is_null()) return fail(error, "a value in `" + op + "` is missing (null)");
  if (op == "==") return Json(l == r || (isNumber(l) && isNumber(r) && num(l) == num(r)));
  if (op == "!=") return Json(!(l == r || (isNumber(l) && isNumber(r) && num(l) == num(r))));
  if (op == "+" && l.is_string() && r.is_string())
    return Json(l.get<std::string>() + r.get<std::string>());
  if (!isNumber(l) || !isNumber(r))
    return fail(error,
                "`" + op + "` needs numbers, got " + displayValue(l) + " and " + displayValue(r));
  bool ints = l.is_number_integer() && r.is_number_integer();
  double a = num(l), b = num(r);
  if (op == "<") return Json(a < b);
  if (op == "<=") return Json(a <= b);
  if (op == ">") return Json(a > b);
  if (op == ">=") return Json(a >= b);
  if (op == "+") return ints ? Json(l.get<long long>() + r.get<long long>()) : Json(a + b);
  if (op == "-") return ints ? Json(l.get<long long>() - r.get<long long>()) : Json(a - b);
  if (op == "*") return ints ? Json(l.get<long long>() * r.get<long long>()) : Json(a * b);
  if (op == "/") {
    if (b == 0) return fail(error, "division by zero");
    return Json(a / b);
  }
  return fail(error, "unknown operator `" + op + "`");
}

std::optional<Json> builtin(const std::string& fn, std::map<std::string, Json>& a,
                            std::string& error) {
  if (fn == "range") {
    if (!a["n"].is_number_integer()) return fail(error, "range() needs an int");
    Json out = Json::array();
    long long n = a["n"].get<long long>();
    if (n < 0 || n > 1000000)
      return fail(error, "range(" + std::to_string(n) + ") is out of bounds");
    for (long long i = 0; i < n; ++i)
      out.push_back(i);
    return out;
  }
  if (fn == "len") {
    if (!a["list"].is_array()) return fail(error, "len() needs a list");
    return Json(static_cast<long long>(a["list"].size()));
  }
  if (fn == "flatten") {
    if (!a["list"].is_array()) return fail(error, "flatten() needs a list of lists");
    Json out = Json::array();
    for (auto& inner : a["list"]) {
      if (!inner.is_array()) return fail(error, "flatten() needs a list of lists");
      for (auto& x : inner)
        out.push_back(x);
    }
    return out;
  }
  if (fn == "argmax" || fn == "argmin") {
    const Json& items = a["items"];
    const Json& scores = a["scores"];
    if (!items.is_array() || !scores.is_array() || items.size() != scores.size())
      return fail(error, fn + ": items and scores must be lists of the same length");
    if (items.empty()) return fail(error, fn + " of an empty list");
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
      if (!scores[i].is_number()) continue;
      if (!scores[best].is_number() || (fn == "argmax" ? num(scores[i]) > num(scores[best])
                                                       : num(scores[i]) < num(scores[best])))
        best = i;
    }
    return items[best];
  }
  return fail(error, "`" + fn + "` cannot be evaluated in a pipeline");
}

} // namespace

std::optional<Json> evaluate(const Expr& e, const EvalScope& scope, const EvalEnv& env,
                             std::string& error) {
  using plan::ExprKind;
  auto sub = [&](const ExprP& x) { return evaluate(x, scope, env, error); };
  switch (e.kind) {
  case ExprKind::Lit:
    return e.value;
  case ExprKind::Param:
    if (!env.params || !env.params->contains(e.name))
      return fail(error, "no parameter `" + e.name + "`");
    return (*env.params)[e.name];
  case ExprKind::Arg:
    if (!env.args || !env.args->contains(e.name))
      return fail(error, "no parameter `" + e.name + "`");
    return (*env.args)[e.name];
  case ExprKind::Var: {
    auto it = scope.vars.find(e.name);
    if (it == scope.vars.end()) return fail(error, "loop variable not in scope");
    return it->second;
  }
  case ExprKind::Data: {
    auto v = env.data ? env.data(e.name) : std::nullopt;
    if (!v) return fail(error, "data `" + e.name + "` is not available");
    return v;
  }
  case ExprKind::Ref: {
    auto v = env.node ? env.node(e.name, scope.indices, e.lifted.value_or(0)) : std::nullopt;
    if (!v) return fail(error, "`" + e.name + "` has no value");
    if (e.output) return output(*v, *e.output, error);
    return v;
  }
  case ExprKind::Field: {
    auto of = sub(e.of);
    if (!of) return std::nullopt;
    return field(*of, e.name, env, error);
  }
  case ExprKind::Index: {
    auto of = sub(e.of);
    auto ix = of ? sub(e.index) : std::nullopt;
    if (!ix) return std::nullopt;
    if (!of->is_array() || !ix->is_number_integer()) return fail(error, "bad index");
    long long i = ix->get<long long>();
    if (i < 0 || static_cast<size_t>(i) >= of->size())
      return fail(error, "index " + std::to_string(i) + " is outside the list of " +
                             std::to_string(of->size()));
    return (*of)[static_cast<size_t>(i)];
  }
  case ExprKind::List: {
    Json out = Json::array();
    for (auto& x : e.items) {
      auto v = sub(x);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
  case ExprKind::Record: {
    Json out = Json::object();
    for (auto& f : e.named) {
      auto v = sub(f.value);
      if (!v) return std::nullopt;
      out[f.name] = *v;
    }
    return out;
  }
  case ExprKind::Interp: {
    std::string s;
    for (auto& part : e.parts) {
      if (!part.expr) {
        s += part.text;
        continue;
      }
      auto v = sub(part.expr);
      if (!v) return std::nullopt;
      s += displayValue(*v);
    }
    return Json(s);
  }
  case ExprKind::Op: {
    const std::string& op = e.name;
    // The reader checked the operand count for the operator.
    if (op == "and" || op == "or") {
      auto l = sub(e.items[0]);
      if (!l) return std::nullopt;
      if (!l->is_boolean()) return fail(error, "`" + op + "` on a non-bool");
      if (op == "and" && !l->get<bool>()) return Json(false);
      if (op == "or" && l->get<bool>()) return Json(true);
      auto r = sub(e.items[1]);
      if (!r || !r->is_boolean()) return r ? fail(error, "`" + op + "` on a non-bool") : r;
      return r;
    }
    if (op == "not" || op == "neg") {
      auto x = sub(e.items[0]);
      if (!x) return std::nullopt;
      if (op == "not") {
        if (!x->is_boolean()) return fail(error, "`not` on a non-bool");
        return Json(!x->get<bool>());
      }
      if (x->is_number_integer()) return Json(-x->get<long long>());
      if (!x->is_number()) return fail(error, "`-` on a non-number");
      return Json(-num(*x));
    }
    auto l = sub(e.items[0]);
    auto r = l ? sub(e.items[1]) : std::nullopt;
    if (!r) return std::nullopt;
    return binary(op, *l, *r, error);
  }
  case ExprKind::Call: {
    std::map<std::string, Json> a;
    for (auto& x : e.named) {
      auto v = sub(x.value);
      if (!v) return std::nullopt;
      a[x.name] = *v;
    }
    return builtin(e.name, a, error);
  }
  default:
    return fail(error, "cannot evaluate " + toJson(e).dump() + " in a pipeline");
  }
}

std::optional<Json> evaluateInStep(const Expr& e, const Json& args, std::string& error) {
  // A step's parameters play the part of a pipeline's; its artifacts cannot be read here.
  EvalScope scope;
  EvalEnv env;
  env.args = &args;
  env.readJson = [](const Json&, std::string& err) -> std::optional<Json> {
    err = "cannot read an artifact in a step's properties";
    return std::nullopt;
  };
  return evaluate(e, scope, env, error);
}

} // namespace mlpc::sched
