#include "plan/expr.h"

namespace mlpc::plan {

namespace {

/// Reads one expression form. Each `need…` failure sets `error` once, naming the JSON path, so
/// a hand-edited plan gets one clear message instead of an exception inside a reader.
class Reader {
public:
  explicit Reader(std::string& error) : error_(error) {}

  ExprP expr(const Json& j, const std::string& path) {
    if (!j.is_object()) return bad(path, "must be an expression object");
    auto e = std::make_shared<Expr>();
    if (j.contains("lit")) {
      e->kind = ExprKind::Lit;
      e->value = j["lit"];
      if (!optString(j, "type", path, e->type)) return nullptr;
    } else if (auto s = nameOf(j, "param", path, ExprKind::Param, *e); s != Found::No) {
      if (s == Found::Bad) return nullptr;
    } else if (auto s2 = nameOf(j, "var", path, ExprKind::Var, *e); s2 != Found::No) {
      if (s2 == Found::Bad) return nullptr;
    } else if (auto s3 = nameOf(j, "data", path, ExprKind::Data, *e); s3 != Found::No) {
      if (s3 == Found::Bad) return nullptr;
    } else if (auto s4 = nameOf(j, "ref", path, ExprKind::Ref, *e); s4 != Found::No) {
      if (s4 == Found::Bad) return nullptr;
      if (j.contains("output")) {
        if (!j["output"].is_string()) return bad(path + ".output", "must be a string");
        e->output = j["output"].get<std::string>();
      }
      if (j.contains("lifted")) {
        if (!j["lifted"].is_number_integer() || j["lifted"].get<long long>() < 0 ||
            j["lifted"].get<long long>() > 64)
          return bad(path + ".lifted", "must be a small non-negative int");
        e->lifted = j["lifted"].get<int>();
      }
    } else if (auto s5 = nameOf(j, "field", path, ExprKind::Field, *e); s5 != Found::No) {
      if (s5 == Found::Bad || !(e->of = child(j, "of", path))) return nullptr;
    } else if (j.contains("index")) {
      e->kind = ExprKind::Index;
      if (!(e->index = expr(j["index"], path + ".index")) || !(e->of = child(j, "of", path)))
        return nullptr;
    } else if (j.contains("list")) {
      e->kind = ExprKind::List;
      if (!list(j["list"], path + ".list", e->items)) return nullptr;
    } else if (j.contains("record")) {
      e->kind = ExprKind::Record;
      if (!named(j["record"], path + ".record", false, e->named)) return nullptr;
    } else if (j.contains("interp")) {
      e->kind = ExprKind::Interp;
      if (!interp(j["interp"], path + ".interp", e->parts)) return nullptr;
    } else if (auto s6 = nameOf(j, "op", path, ExprKind::Op, *e); s6 != Found::No) {
      if (s6 == Found::Bad || !list(j.value("args", Json()), path + ".args", e->items))
        return nullptr;
      // Counted here so an evaluator may index its operands (a hand edit may have lost one).
      size_t arity = e->name == "not" || e->name == "neg" ? 1 : 2;
      if (e->items.size() != arity)
        return bad(path + ".args",
                   "must have " + std::to_string(arity) + " operand(s) for `" + e->name + "`");
    } else if (auto s7 = nameOf(j, "call", path, ExprKind::Call, *e); s7 != Found::No) {
      if (s7 == Found::Bad || !named(j.value("args", Json()), path + ".args", true, e->named))
        return nullptr;
    } else if (auto s8 = nameOf(j, "arg", path, ExprKind::Arg, *e); s8 != Found::No) {
      if (s8 == Found::Bad) return nullptr;
    } else if (auto s9 = nameOf(j, "out", path, ExprKind::Out, *e); s9 != Found::No) {
      if (s9 == Found::Bad) return nullptr;
    } else if (j.contains("port")) {
      e->kind = ExprKind::Port;
    } else if (auto s10 = nameOf(j, "metric", path, ExprKind::Metric, *e); s10 != Found::No) {
      if (s10 == Found::Bad) return nullptr;
    } else if (auto s11 = nameOf(j, "model", path, ExprKind::Model, *e); s11 != Found::No) {
      if (s11 == Found::Bad) return nullptr;
      const Json v = j.value("version", Json());
      if (v.is_string())
        e->value = v;
      else if (!(e->index = expr(v, path + ".version")))
        return nullptr;
    } else if (auto s12 = nameOf(j, "pipeline", path, ExprKind::Pipeline, *e); s12 != Found::No) {
      if (s12 == Found::Bad || !named(j.value("args", Json()), path + ".args", false, e->named))
        return nullptr;
    } else if (auto s13 = nameOf(j, "decl", path, ExprKind::Decl, *e); s13 != Found::No) {
      if (s13 == Found::Bad || !optString(j, "kind", path, e->type)) return nullptr;
    } else if (auto s14 = nameOf(j, "builtin", path, ExprKind::Builtin, *e); s14 != Found::No) {
      if (s14 == Found::Bad) return nullptr;
    } else if (j.contains("error")) {
      e->kind = ExprKind::Error;
    } else {
      return bad(path, "is an expression of an unknown form");
    }
    return e;
  }

private:
  enum class Found { No, Yes, Bad };

  ExprP bad(const std::string& path, const std::string& what) {
    if (error_.empty()) error_ = "\"" + path + "\" " + what;
    return nullptr;
  }
  Found nameOf(const Json& j, const char* key, const std::string& path, ExprKind kind, Expr& e) {
    if (!j.contains(key)) return Found::No;
    if (!j[key].is_string()) {
      bad(path + "." + key, "must be a string");
      return Found::Bad;
    }
    e.kind = kind;
    e.name = j[key].get<std::string>();
    return Found::Yes;
  }
  bool optString(const Json& j, const char* key, const std::string& path, std::string& out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_string()) return bad(path + "." + key, "must be a string"), false;
    out = j[key].get<std::string>();
    return true;
  }
  ExprP child(const Json& j, const char* key, const std::string& path) {
    if (!j.contains(key)) return bad(path, std::string("has no \"") + key + "\"");
    return expr(j[key], path + "." + key);
  }
  bool list(const Json& j, const std::string& path, std::vector<ExprP>& out) {
    if (!j.is_array()) return bad(path, "must be a list"), false;
    for (size_t i = 0; i < j.size(); ++i) {
      auto x = expr(j[i], path + "[" + std::to_string(i) + "]");
      if (!x) return false;
      out.push_back(std::move(x));
    }
    return true;
  }
  bool named(const Json& j, const std::string& path, bool nullable, std::vector<NamedExpr>& out) {
    if (!j.is_object()) return bad(path, "must be an object"), false;
    for (auto& [k, v] : j.items()) {
      if (nullable && v.is_null()) {
        out.push_back({k, nullptr});
        continue;
      }
      auto x = expr(v, path + "." + k);
      if (!x) return false;
      out.push_back({k, std::move(x)});
    }
    return true;
  }
  bool interp(const Json& j, const std::string& path, std::vector<InterpPart>& out) {
    if (!j.is_array()) return bad(path, "must be a list"), false;
    for (size_t i = 0; i < j.size(); ++i) {
      std::string at = path + "[" + std::to_string(i) + "]";
      if (j[i].is_string()) {
        out.push_back({j[i].get<std::string>(), nullptr, ""});
        continue;
      }
      if (!j[i].is_object() || !j[i].contains("expr"))
        return bad(at, "must be text or {\"expr\": …, \"type\": …}"), false;
      InterpPart p;
      if (!(p.expr = expr(j[i]["expr"], at + ".expr")) || !optString(j[i], "type", at, p.type))
        return false;
      out.push_back(std::move(p));
    }
    return true;
  }

  std::string& error_;
};

Json namedJson(const std::vector<NamedExpr>& named) {
  Json o = Json::object();
  for (auto& n : named)
    o[n.name] = toJson(n.value);
  return o;
}

} // namespace

std::optional<std::string> Expr::literalString() const {
  if (kind == ExprKind::Lit && value.is_string()) return value.get<std::string>();
  return std::nullopt;
}

ExprP readExpr(const Json& j, const std::string& path, std::string& error) {
  return Reader(error).expr(j, path);
}

ExprP literal(Json value, std::string type) {
  auto e = std::make_shared<Expr>();
  e->kind = ExprKind::Lit;
  e->value = std::move(value);
  e->type = std::move(type);
  return e;
}

Json toJson(const ExprP& e) {
  return e ? toJson(*e) : Json();
}

Json toJson(const Expr& e) {
  auto list = [](const std::vector<ExprP>& xs) {
    Json a = Json::array();
    for (auto& x : xs)
      a.push_back(toJson(x));
    return a;
  };
  switch (e.kind) {
  case ExprKind::Lit:
    return Json{{"lit", e.value}, {"type", e.type}};
  case ExprKind::Param:
    return Json{{"param", e.name}};
  case ExprKind::Data:
    return Json{{"data", e.name}};
  case ExprKind::Ref: {
    Json r{{"ref", e.name}};
    if (e.output) r["output"] = *e.output;
    if (e.lifted) r["lifted"] = *e.lifted;
    return r;
  }
  case ExprKind::Var:
    return Json{{"var", e.name}};
  case ExprKind::Field:
    return Json{{"field", e.name}, {"of", toJson(e.of)}};
  case ExprKind::Index:
    return Json{{"index", toJson(e.index)}, {"of", toJson(e.of)}};
  case ExprKind::List:
    return Json{{"list", list(e.items)}};
  case ExprKind::Record:
    return Json{{"record", namedJson(e.named)}};
  case ExprKind::Interp: {
    Json parts = Json::array();
    for (auto& p : e.parts)
      parts.push_back(p.expr ? Json{{"expr", toJson(p.expr)}, {"type", p.type}} : Json(p.text));
    return Json{{"interp", parts}};
  }
  case ExprKind::Op:
    return Json{{"op", e.name}, {"args", list(e.items)}};
  case ExprKind::Call:
    return Json{{"call", e.name}, {"args", namedJson(e.named)}};
  case ExprKind::Arg:
    return Json{{"arg", e.name}};
  case ExprKind::Out:
    return Json{{"out", e.name}};
  case ExprKind::Port:
    return Json{{"port", true}};
  case ExprKind::Metric:
    return Json{{"metric", e.name}};
  case ExprKind::Model:
    return Json{{"model", e.name}, {"version", e.index ? toJson(e.index) : e.value}};
  case ExprKind::Pipeline:
    return Json{{"pipeline", e.name}, {"args", namedJson(e.named)}};
  case ExprKind::Decl:
    return Json{{"decl", e.name}, {"kind", e.type}};
  case ExprKind::Builtin:
    return Json{{"builtin", e.name}};
  case ExprKind::Error:
    break;
  }
  return Json{{"error", true}};
}

namespace {
template <class F> void forChildren(const Expr& e, F&& f) {
  // In the order the JSON form writes them (`index` before `of`).
  if (e.index) f(*e.index);
  if (e.of) f(*e.of);
  for (auto& x : e.items)
    if (x) f(*x);
  for (auto& n : e.named)
    if (n.value) f(*n.value);
  for (auto& p : e.parts)
    if (p.expr) f(*p.expr);
}
} // namespace

void refsOf(const Expr& e, std::vector<std::pair<std::string, int>>& out) {
  if (e.kind == ExprKind::Ref) out.emplace_back(e.name, e.lifted.value_or(0));
  forChildren(e, [&](const Expr& c) { refsOf(c, out); });
}

bool readsData(const Expr& e, const std::string& key) {
  if (e.kind == ExprKind::Data && e.name == key) return true;
  bool found = false;
  forChildren(e, [&](const Expr& c) { found = found || readsData(c, key); });
  return found;
}

} // namespace mlpc::plan
