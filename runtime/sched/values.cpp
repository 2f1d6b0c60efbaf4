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

void refsOf(const Json& e, std::vector<std::pair<std::string, int>>& out) {
  if (e.is_object()) {
    if (e.contains("ref") && e["ref"].is_string())
      out.push_back({e["ref"].get<std::string>(), e.value("lifted", 0)});
    for (auto& [k, v] : e.items())
      if (k != "ref") refsOf(v, out);
  } else if (e.is_array()) {
    for (auto& v : e)
      refsOf(v, out);
  }
}

std::optional<Json> evaluate(const Json& e, const EvalScope& scope, const EvalEnv& env,
                             std::string& error) {
  auto sub = [&](const Json& x) { return evaluate(x, scope, env, error); };
  if (e.is_null()) return Json();
  if (!e.is_object()) return fail(error, "malformed expression " + e.dump());
  if (e.contains("lit")) return e["lit"];
  if (e.contains("param")) {
    const std::string n = e["param"].get<std::string>();
    if (!env.params || !env.params->contains(n)) return fail(error, "no parameter `" + n + "`");
    return (*env.params)[n];
  }
  if (e.contains("var")) {
    auto it = scope.vars.find(e["var"].get<std::string>());
    if (it == scope.vars.end()) return fail(error, "loop variable not in scope");
    return it->second;
  }
  if (e.contains("data")) {
    auto v = env.data(e["data"].get<std::string>());
    if (!v) return fail(error, "data `" + e["data"].get<std::string>() + "` is not available");
    return v;
  }
  if (e.contains("ref")) {
    int lifted = e.value("lifted", 0);
    auto v = env.node(e["ref"].get<std::string>(), scope.indices, lifted);
    if (!v) return fail(error, "`" + e["ref"].get<std::string>() + "` has no value");
    if (e.contains("output")) return output(*v, e["output"].get<std::string>(), error);
    return v;
  }
  if (e.contains("field")) {
    auto of = sub(e["of"]);
    if (!of) return std::nullopt;
    return field(*of, e["field"].get<std::string>(), env, error);
  }
  if (e.contains("index")) {
    auto of = sub(e["of"]);
    auto ix = of ? sub(e["index"]) : std::nullopt;
    if (!ix) return std::nullopt;
    if (!of->is_array() || !ix->is_number_integer()) return fail(error, "bad index");
    long long i = ix->get<long long>();
    if (i < 0 || static_cast<size_t>(i) >= of->size())
      return fail(error, "index " + std::to_string(i) + " is outside the list of " +
                             std::to_string(of->size()));
    return (*of)[static_cast<size_t>(i)];
  }
  if (e.contains("list")) {
    Json out = Json::array();
    for (auto& x : e["list"]) {
      auto v = sub(x);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
  if (e.contains("record")) {
    Json out = Json::object();
    for (auto& [k, x] : e["record"].items()) {
      auto v = sub(x);
      if (!v) return std::nullopt;
      out[k] = *v;
    }
    return out;
  }
  if (e.contains("interp")) {
    std::string s;
    for (auto& part : e["interp"]) {
      if (part.is_string()) {
        s += part.get<std::string>();
        continue;
      }
      auto v = sub(part["expr"]);
      if (!v) return std::nullopt;
      s += displayValue(*v);
    }
    return Json(s);
  }
  if (e.contains("op")) {
    const std::string op = e["op"].get<std::string>();
    const Json& args = e["args"];
    // Indexing a const JSON array past its end is undefined, so count the operands first (a
    // hand-edited plan may have lost one).
    size_t arity = op == "not" || op == "neg" ? 1 : 2;
    if (!args.is_array() || args.size() != arity)
      return fail(error, "`" + op + "` needs " + std::to_string(arity) + " operand(s) in the plan");
    if (op == "and" || op == "or") {
      auto l = sub(args[0]);
      if (!l) return std::nullopt;
      if (!l->is_boolean()) return fail(error, "`" + op + "` on a non-bool");
      if (op == "and" && !l->get<bool>()) return Json(false);
      if (op == "or" && l->get<bool>()) return Json(true);
      auto r = sub(args[1]);
      if (!r || !r->is_boolean()) return r ? fail(error, "`" + op + "` on a non-bool") : r;
      return r;
    }
    if (op == "not" || op == "neg") {
      auto x = sub(args[0]);
      if (!x) return std::nullopt;
      if (op == "not") return Json(!x->get<bool>());
      if (x->is_number_integer()) return Json(-x->get<long long>());
      return Json(-num(*x));
    }
    auto l = sub(args[0]);
    auto r = l ? sub(args[1]) : std::nullopt;
    if (!r) return std::nullopt;
    if (l->is_null() || r->is_null())
      return fail(error, "a value in `" + op + "` is missing (null)");
    if (op == "==") return Json(*l == *r || (isNumber(*l) && isNumber(*r) && num(*l) == num(*r)));
    if (op == "!=")
      return Json(!(*l == *r || (isNumber(*l) && isNumber(*r) && num(*l) == num(*r))));
    if (op == "+" && l->is_string() && r->is_string())
      return Json(l->get<std::string>() + r->get<std::string>());
    if (!isNumber(*l) || !isNumber(*r))
      return fail(error, "`" + op + "` needs numbers, got " + displayValue(*l) + " and " +
                             displayValue(*r));
    bool ints = l->is_number_integer() && r->is_number_integer();
    double a = num(*l), b = num(*r);
    if (op == "<") return Json(a < b);
    if (op == "<=") return Json(a <= b);
    if (op == ">") return Json(a > b);
    if (op == ">=") return Json(a >= b);
    if (op == "+") return ints ? Json(l->get<long long>() + r->get<long long>()) : Json(a + b);
    if (op == "-") return ints ? Json(l->get<long long>() - r->get<long long>()) : Json(a - b);
    if (op == "*") return ints ? Json(l->get<long long>() * r->get<long long>()) : Json(a * b);
    if (op == "/") {
      if (b == 0) return fail(error, "division by zero");
      return Json(a / b);
    }
    return fail(error, "unknown operator `" + op + "`");
  }
  if (e.contains("call")) {
    const std::string fn = e["call"].get<std::string>();
    std::map<std::string, Json> a;
    for (auto& [k, x] : e["args"].items()) {
      auto v = sub(x);
      if (!v) return std::nullopt;
      a[k] = *v;
    }
    if (fn == "range") {
      Json out = Json::array();
      long long n = a["n"].get<long long>();
      if (n < 0 || n > 1000000)
        return fail(error, "range(" + std::to_string(n) + ") is out of bounds");
      for (long long i = 0; i < n; ++i)
        out.push_back(i);
      return out;
    }
    if (fn == "len") return Json(static_cast<long long>(a["list"].size()));
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
  return fail(error, "cannot evaluate " + e.dump());
}

std::optional<Json> evaluateInStep(const Json& e, const Json& args, std::string& error) {
  // A step's parameters play the part of a pipeline's: rewrite `arg` into `param`.
  std::function<void(Json&)> fix = [&](Json& j) {
    if (j.is_object()) {
      if (j.contains("arg"))
        j = Json{{"param", j["arg"]}};
      else
        for (auto& [k, v] : j.items())
          fix(v);
    } else if (j.is_array()) {
      for (auto& v : j)
        fix(v);
    }
  };
  Json rewritten = e;
  fix(rewritten);
  EvalScope scope;
  EvalEnv env;
  env.params = &args;
  env.readJson = [](const Json&, std::string& err) -> std::optional<Json> {
    err = "cannot read an artifact in a step's properties";
    return std::nullopt;
  };
  return evaluate(rewritten, scope, env, error);
}

} // namespace mlpc::sched
