#include "lower/lower.h"

#include "mlpc/version.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace fs = std::filesystem;

namespace mlpc::plan {

using sema::RefKind;
using sema::TypeKind;

namespace {
/// A Metrics type's fields as the plan's `fields` object: a type name per scalar field, an object
/// per nested record.
Json metricsFields(const std::vector<sema::Field>& fields) {
  Json out = Json::object();
  for (auto& f : fields)
    out[f.name] = f.type.kind == sema::TypeKind::Metrics && f.type.fields
                      ? metricsFields(*f.type.fields)
                      : Json(f.type.str());
  return out;
}

class Lowerer {
public:
  Lowerer(const sema::Program& p, const LowerOptions& o, DiagnosticSink& s)
      : prog(p), opts(o), sink(s), sm(p.sm) {}

  std::optional<Plan> run();
  /// Set when the plan built does not hold together (a bug in mlpc): the reader's message.
  const std::string& internalError() const { return internal_; }

private:
  // ---- naming
  std::string where(SourceRange r) const { return sm.describe(r); }
  std::string at(SourceRange r) const {
    LineCol lc = sm.start(r);
    return std::to_string(lc.line) + ":" + std::to_string(lc.col);
  }
  std::string relDir(const sema::Module& m) const {
    if (!m.stdlibName.empty()) return "@stdlib/" + fs::path(m.stdlibName).parent_path().string();
    std::string r = fs::path(m.dir).lexically_relative(prog.entry->dir).string();
    return r.empty() ? "." : r;
  }
  std::string declKey(const ast::Decl& d) const {
    const sema::Module* m = prog.declModule.at(&d);
    if (m == prog.entry) return d.name.name;
    if (!m->stdlibName.empty()) return m->stdlibName + "." + d.name.name;
    fs::path rel = fs::path(m->path).lexically_relative(prog.entry->dir);
    rel.replace_extension();
    return rel.string() + "." + d.name.name;
  }
  std::string uniqueId(std::string id) {
    std::string base = id;
    for (int n = 2; !ids.insert(id).second; ++n)
      id = base + "#" + std::to_string(n);
    return id;
  }

  // ---- values
  ExprP lit(Json v, std::string type) { return literal(std::move(v), std::move(type)); }
  ExprP expr(const ast::Expr& e);
  /// An expression's JSON form, for the parts of the plan built as JSON (definitions, policies).
  Json jexpr(const ast::Expr& e) { return toJson(expr(e)); }
  ExprP stringExpr(const ast::StringLit& s);
  std::shared_ptr<Expr> bindingRef(const ast::AssignStmt& a, int lifted);
  ExprP checkLift(std::shared_ptr<Expr> ref);
  void fail(const std::string& what) {
    if (internal_.empty()) internal_ = what;
  }
  Json constant(const ast::Expr& e); ///< a literal default, as a plain JSON value
  /// A pipeline parameter's default: a constant, or for `file("…")`/`dir("…")` a source whose
  /// path is relative to the plan's base, as a `data` declaration's is.
  Json paramDefault(const ast::PipelineDecl& p, const ast::Expr& e);

  // ---- pipeline
  void block(const ast::Block& b, std::vector<Node>& out);
  Node callNode(const ast::CallExpr& c, const std::string& id, SourceRange range);
  Node transformNode(const ast::CallExpr& c, const std::string& id, SourceRange range);
  std::string stepDef(const ast::StepDecl& d);
  Json commandProps(const ast::StepDecl& d, Json def);
  Json templ(const ast::Expr& e); ///< a property of a step/server: literal or interpolation
  /// A numeric or bool property: a plain value when constant, else {"expr", "type", "range"}.
  Json propValue(const ast::Expr& e);
  bool params(const ast::PipelineDecl& p, Json& out);
  std::vector<std::pair<std::string, std::string>> edges(const std::vector<Node>& nodes);
  std::string checkNodes(const Plan& plan, const std::vector<Node>& list, const std::string& path);

  // ---- declarations
  Json policies();

  const sema::Program& prog;
  const LowerOptions& opts;
  DiagnosticSink& sink;
  const SourceManager& sm;

  Json steps = Json::object();
  Json servers = Json::object();
  Json data = Json::object();
  std::set<std::string> ids;
  std::map<const ast::Stmt*, std::string> nodeIds;
  /// The reference to each binding's node outside loops, made once and shared by every use
  /// (expressions are immutable once built): the 235,000 arguments of bench/gen_program.py's
  /// 100,000 calls name 110,000 distinct things, most of them references, and each expression
  /// made is about 250 bytes that `compile` first touches (docs/speed.md).
  std::unordered_map<const ast::AssignStmt*, ExprP> sharedRefs;
  std::vector<Node>* pending = nullptr; ///< where hoisted calls go (before the current node)
  std::string internal_;
};

Json Lowerer::constant(const ast::Expr& e) {
  Json x = jexpr(e);
  if (x.contains("lit")) return x["lit"];
  // `-0.5`, `-3`: a negated literal is still a constant.
  if (x.value("op", "") == "neg" && x["args"][0].contains("lit") &&
      x["args"][0]["lit"].is_number()) {
    const Json& v = x["args"][0]["lit"];
    return v.is_number_integer() ? Json(-v.get<long long>()) : Json(-v.get<double>());
  }
  if (x.contains("list")) {
    Json out = Json::array();
    for (auto& v : x["list"])
      out.push_back(v.contains("lit") ? v["lit"] : v);
    return out;
  }
  return x;
}

Json Lowerer::paramDefault(const ast::PipelineDecl& p, const ast::Expr& e) {
  const sema::CallBinding* cb =
      e.kind == ast::ExprKind::Call ? prog.call(&e.as<ast::CallExpr>()) : nullptr;
  if (!cb || (cb->builtin != "file" && cb->builtin != "dir")) return constant(e);
  auto& call = e.as<ast::CallExpr>();
  std::string path = call.args.empty() || call.args[0].value->kind != ast::ExprKind::String
                         ? ""
                         : call.args[0].value->as<ast::StringLit>().plainText();
  fs::path full = fs::path(relDir(*prog.declModule.at(&p))) / path;
  return Json{{"source", cb->builtin}, {"path", full.lexically_normal().string()}};
}

namespace {
/// A fresh expression of `kind` to fill in (expressions are shared as const once built).
std::shared_ptr<Expr> make(ExprKind kind, std::string name = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->name = std::move(name);
  return e;
}
/// `o[name] = value` on a JSON object, as the plan's JSON form had it: a name given twice keeps
/// its first place and its last value.
void setNamed(std::vector<NamedExpr>& named, const std::string& name, ExprP value) {
  for (auto& n : named)
    if (n.name == name) {
      n.value = std::move(value);
      return;
    }
  named.push_back({name, std::move(value)});
}
} // namespace

ExprP Lowerer::stringExpr(const ast::StringLit& s) {
  if (s.isPlain()) return lit(s.plainText(), "string");
  auto e = make(ExprKind::Interp);
  for (auto& p : s.parts) {
    if (p.expr) {
      ExprP x = expr(*p.expr);
      e->parts.push_back({"", std::move(x), prog.typeOf(p.expr.get()).str()});
    } else {
      e->parts.push_back({p.text, nullptr, ""});
    }
  }
  return e;
}

std::shared_ptr<Expr> Lowerer::bindingRef(const ast::AssignStmt& a, int lifted) {
  auto it = nodeIds.find(&a);
  auto r = make(ExprKind::Ref, it == nodeIds.end() ? a.name.name : it->second);
  // A call with one output stands for that output; with several, for the record of them.
  if (a.value->kind == ast::ExprKind::Call) {
    if (auto* cb = prog.call(&a.value->as<ast::CallExpr>())) {
      if (cb->callee && cb->callee->kind == ast::DeclKind::Step) {
        auto& sd = cb->callee->as<ast::StepDecl>();
        if (sd.outputs.size() == 1) r->output = sd.outputs[0].name.name;
      } else if (cb->builtin == "transform") {
        r->output = "predictions";
      }
    }
  }
  if (lifted) r->lifted = lifted;
  return r;
}

ExprP Lowerer::checkLift(std::shared_ptr<Expr> ref) {
  // The plan's reader takes a lift of 0..64 (plan/expr.cpp); a deeper one is an internal error,
  // as it was when the whole plan was read back from its JSON.
  if (ref->lifted && (*ref->lifted < 0 || *ref->lifted > 64))
    fail("\"" + ref->name + "\" is referred to from " + std::to_string(*ref->lifted) +
         " loops deep (the plan allows 64)");
  return ref;
}

ExprP Lowerer::expr(const ast::Expr& e) {
  switch (e.kind) {
  case ast::ExprKind::Int:
    return lit(e.as<ast::NumberLit>().intValue, "int");
  case ast::ExprKind::Float:
    return lit(e.as<ast::NumberLit>().value, "float");
  case ast::ExprKind::Duration:
    return lit(e.as<ast::NumberLit>().value, "duration");
  case ast::ExprKind::Size:
    return lit(e.as<ast::NumberLit>().intValue, "size");
  case ast::ExprKind::Percent:
    return lit(e.as<ast::NumberLit>().value, "percent");
  case ast::ExprKind::Bool:
    return lit(e.as<ast::BoolLit>().value, "bool");
  case ast::ExprKind::String:
    return stringExpr(e.as<ast::StringLit>());
  case ast::ExprKind::Error:
    return make(ExprKind::Error);
  case ast::ExprKind::Name:
  case ast::ExprKind::Member: {
    const sema::Resolution* r = prog.resolution(&e);
    if (e.kind == ast::ExprKind::Member && (!r || r->kind == RefKind::None)) {
      auto& m = e.as<ast::MemberExpr>();
      // `split.train`: an output of a multi-output call is a reference, not a field read.
      if (auto* objRes = prog.resolution(m.object.get());
          objRes && objRes->kind == RefKind::Binding) {
        auto ref = bindingRef(objRes->stmt->as<ast::AssignStmt>(), objRes->forDepth);
        if (!ref->output && prog.typeOf(m.object.get()).kind != TypeKind::Metrics) {
          sema::Type ot = prog.typeOf(m.object.get());
          while (ot.kind == TypeKind::List && ot.elem)
            ot = *ot.elem;
          if (ot.kind == TypeKind::Record) {
            ref->output = m.member.name;
            return checkLift(std::move(ref));
          }
        }
      }
      auto f = make(ExprKind::Field, m.member.name);
      f->of = expr(*m.object);
      return f;
    }
    if (!r) return make(ExprKind::Error);
    switch (r->kind) {
    case RefKind::PipelineParam:
      return make(ExprKind::Param, r->decl->as<ast::PipelineDecl>().params[r->index].name.name);
    case RefKind::Binding: {
      auto& a = r->stmt->as<ast::AssignStmt>();
      if (r->forDepth != 0) return checkLift(bindingRef(a, r->forDepth));
      if (auto it = sharedRefs.find(&a); it != sharedRefs.end()) return it->second;
      ExprP ref = checkLift(bindingRef(a, 0));
      // Only once the node has its id: a reference made before would name the binding instead.
      if (nodeIds.count(&a)) sharedRefs.emplace(&a, ref);
      return ref;
    }
    case RefKind::LoopVar:
      return make(ExprKind::Var, r->stmt->as<ast::ForStmt>().var.name);
    case RefKind::Data: {
      auto& d = r->decl->as<ast::DataDecl>();
      std::string key = declKey(d);
      if (!data.contains(key)) {
        auto& call = d.init->as<ast::CallExpr>();
        const sema::Module* m = prog.declModule.at(&d);
        std::string path = call.args.empty() || call.args[0].value->kind != ast::ExprKind::String
                               ? ""
                               : call.args[0].value->as<ast::StringLit>().plainText();
        fs::path full = fs::path(relDir(*m)) / path;
        data[key] = Json{{"type", prog.dataTypes.at(&d).str()},
                         {"source", call.callee->as<ast::NameExpr>().name},
                         {"path", full.lexically_normal().string()},
                         {"range", where(d.range)}};
      }
      return make(ExprKind::Data, key);
    }
    case RefKind::StepParam:
      return make(ExprKind::Arg, r->decl->as<ast::StepDecl>().params[r->index].name.name);
    case RefKind::StepOutput:
      return make(ExprKind::Out, r->decl->as<ast::StepDecl>().outputs[r->index].name.name);
    case RefKind::Port:
      return make(ExprKind::Port);
    case RefKind::Context: {
      if (e.kind == ast::ExprKind::Member) {
        auto& m = e.as<ast::MemberExpr>();
        auto* gr = prog.resolution(m.object.get());
        auto x = make(ExprKind::Model, gr && gr->decl ? declKey(*gr->decl) : "");
        x->value = r->name;
        return x;
      }
      return make(ExprKind::Metric, r->name);
    }
    case RefKind::Decl: {
      auto x = make(ExprKind::Decl, declKey(*r->decl));
      x->type = ast::keyword(r->decl->kind);
      return x;
    }
    case RefKind::Builtin:
      return make(ExprKind::Builtin, r->name);
    case RefKind::Module:
    case RefKind::None:
      break;
    }
    return make(ExprKind::Error);
  }
  case ast::ExprKind::Call: {
    auto& c = e.as<ast::CallExpr>();
    const sema::CallBinding* cb = prog.call(&c);
    if (!cb) return make(ExprKind::Error);
    if (cb->callee && cb->callee->kind == ast::DeclKind::Step) {
      // A call nested in an expression becomes a node of its own, placed before its user.
      std::string id = uniqueId(declKey(*cb->callee) + "@" + at(c.range));
      Node node = callNode(c, id, c.range);
      if (pending) pending->push_back(std::move(node));
      auto& sd = cb->callee->as<ast::StepDecl>();
      auto ref = make(ExprKind::Ref, id);
      if (sd.outputs.size() == 1) ref->output = sd.outputs[0].name.name;
      return ref;
    }
    if (cb->builtin == "transform") {
      std::string id = uniqueId("transform@" + at(c.range));
      if (pending) pending->push_back(transformNode(c, id, c.range));
      auto ref = make(ExprKind::Ref, id);
      ref->output = "predictions";
      return ref;
    }
    if (cb->builtin == "version") {
      auto& m = c.callee->as<ast::MemberExpr>();
      auto* gr = prog.resolution(m.object.get());
      auto x = make(ExprKind::Model, gr && gr->decl ? declKey(*gr->decl) : "");
      // Without an argument the version would be JSON null, which the reader refuses.
      if (cb->args[0])
        x->index = expr(*cb->args[0]);
      else
        fail("`" + x->name + ".version()` has no version");
      return x;
    }
    if (cb->callee && cb->callee->kind == ast::DeclKind::Pipeline) {
      // A pipeline started by a schedule or a monitor: only the arguments given.
      auto& pd = cb->callee->as<ast::PipelineDecl>();
      auto x = make(ExprKind::Pipeline, declKey(*cb->callee));
      for (size_t i = 0; i < cb->args.size() && i < pd.params.size(); ++i)
        if (cb->args[i]) setNamed(x->named, pd.params[i].name.name, expr(*cb->args[i]));
      return x;
    }
    auto x = make(ExprKind::Call, cb->builtin);
    for (size_t i = 0; i < cb->args.size() && i < cb->paramNames.size(); ++i)
      setNamed(x->named, cb->paramNames[i], cb->args[i] ? expr(*cb->args[i]) : nullptr);
    return x;
  }
  case ast::ExprKind::Binary: {
    auto& b = e.as<ast::BinaryExpr>();
    auto x = make(ExprKind::Op, ast::spelling(b.op));
    x->items.push_back(expr(*b.lhs));
    x->items.push_back(expr(*b.rhs));
    return x;
  }
  case ast::ExprKind::Unary: {
    auto& u = e.as<ast::UnaryExpr>();
    auto x = make(ExprKind::Op, u.op == ast::UnaryOp::Neg ? "neg" : "not");
    x->items.push_back(expr(*u.operand));
    return x;
  }
  case ast::ExprKind::Index: {
    auto& ix = e.as<ast::IndexExpr>();
    auto x = make(ExprKind::Index);
    x->index = expr(*ix.index); // before `of`, as the plan's JSON form orders them
    x->of = expr(*ix.object);
    return x;
  }
  case ast::ExprKind::List: {
    auto x = make(ExprKind::List);
    for (auto& item : e.as<ast::ListExpr>().elems)
      x->items.push_back(expr(*item));
    return x;
  }
  case ast::ExprKind::Record: {
    auto x = make(ExprKind::Record);
    for (auto& f : e.as<ast::RecordExpr>().fields)
      setNamed(x->named, f.name.name, expr(*f.value));
    return x;
  }
  }
  return make(ExprKind::Error);
}

Json Lowerer::templ(const ast::Expr& e) {
  // `env = { X: s }`, `image = img`: a value that is not a string literal is a template of one
  // interpolation, so the runtime renders it like `"${s}"`.
  if (e.kind == ast::ExprKind::String || e.kind == ast::ExprKind::Error) return jexpr(e);
  return Json{{"interp", Json::array({Json{{"expr", jexpr(e)}, {"type", prog.typeOf(&e).str()}}})}};
}

Json Lowerer::propValue(const ast::Expr& e) {
  Json v = constant(e);
  if (!v.is_object()) return v;
  // Depends on the step's parameters: evaluated per call at run time, where `range` names the
  // property in messages.
  return Json{{"expr", jexpr(e)}, {"type", prog.typeOf(&e).str()}, {"range", where(e.range)}};
}

Json Lowerer::commandProps(const ast::StepDecl& d, Json def) {
  auto get = [&](const char* n) { return prog.property(d, n); };
  def["run"] = get("run") ? templ(*get("run")->value) : Json();
  def["image"] = get("image") ? templ(*get("image")->value) : Json();
  Json code = Json::array();
  if (auto* p = get("code")) {
    if (p->value->kind == ast::ExprKind::List) {
      for (auto& x : p->value->as<ast::ListExpr>().elems)
        if (x->kind == ast::ExprKind::String) code.push_back(x->as<ast::StringLit>().plainText());
    } else if (p->value->kind == ast::ExprKind::String) {
      code.push_back(p->value->as<ast::StringLit>().plainText());
    }
  }
  def["code"] = code;
  Json env = Json::object();
  if (auto* p = get("env"); p && p->value->kind == ast::ExprKind::Record)
    for (auto& f : p->value->as<ast::RecordExpr>().fields)
      env[f.name.name] = templ(*f.value);
  def["env"] = env;
  Json res{{"cpu", 1}, {"memory_bytes", nullptr}, {"gpu", 0}};
  if (auto* p = get("resources"); p && p->value->kind == ast::ExprKind::Record)
    for (auto& f : p->value->as<ast::RecordExpr>().fields) {
      Json v = propValue(*f.value);
      if (f.name.name == "memory")
        res["memory_bytes"] = v;
      else
        res[f.name.name] = v;
    }
  def["resources"] = res;
  def["timeout_s"] = get("timeout") ? propValue(*get("timeout")->value) : Json();
  return def;
}

std::string Lowerer::stepDef(const ast::StepDecl& d) {
  std::string key = declKey(d);
  Json& table = d.kind == ast::DeclKind::Step ? steps : servers;
  if (table.contains(key)) return key;
  table[key] = Json(); // reserve (recursion guard)
  const sema::Module* m = prog.declModule.at(&d);
  Json def;
  def["name"] = d.name.name;
  def["module"] = m->stdlibName.empty()
                      ? fs::path(m->path).lexically_relative(prog.entry->dir).string()
                      : m->stdlibName;
  def["dir"] = relDir(*m);
  Json ps = Json::array();
  for (auto& p : d.params) {
    Json pj{{"name", p.name.name}, {"type", prog.paramType(p).str()}};
    if (p.defaultValue) pj["default"] = constant(*p.defaultValue);
    ps.push_back(pj);
  }
  def["params"] = ps;
  if (d.kind == ast::DeclKind::Step) {
    Json outs = Json::array();
    for (auto& o : d.outputs) {
      sema::Type t = prog.paramType(o);
      Json oj{{"name", o.name.name}, {"type", t.str()}};
      if (t.kind == TypeKind::Metrics && t.fields) oj["fields"] = metricsFields(*t.fields);
      outs.push_back(oj);
    }
    def["outputs"] = outs;
  }
  def = commandProps(d, def);
  if (d.kind == ast::DeclKind::Step) {
    Json retry{{"attempts", 1}, {"backoff_s", 0}};
    if (auto* p = prog.property(d, "retry"); p && p->value->kind == ast::ExprKind::Record)
      for (auto& f : p->value->as<ast::RecordExpr>().fields)
        retry[f.name.name == "backoff" ? "backoff_s" : f.name.name] = propValue(*f.value);
    def["retry"] = retry;
    Json cache{{"enabled", true}, {"expire_s", nullptr}};
    if (auto* p = prog.property(d, "cache")) {
      // By type, not by shape: `cache = c` with `c: bool` switches caching, with a duration
      // it is an expiry.
      Json v = propValue(*p->value);
      if (prog.typeOf(p->value.get()).kind == TypeKind::Bool)
        cache["enabled"] = v;
      else
        cache["expire_s"] = v;
    }
    def["cache"] = cache;
  } else {
    auto str = [&](const char* n) {
      auto* p = prog.property(d, n);
      return p && p->value->kind == ast::ExprKind::String
                 ? Json(p->value->as<ast::StringLit>().plainText())
                 : Json();
    };
    def["health"] = str("health");
    def["invoke"] = str("invoke");
  }
  def["range"] = where(d.range);
  table[key] = def;
  return key;
}

Node Lowerer::callNode(const ast::CallExpr& c, const std::string& id, SourceRange range) {
  const sema::CallBinding* cb = prog.call(&c);
  auto& sd = cb->callee->as<ast::StepDecl>();
  CallNode call{stepDef(sd), {}};
  for (size_t i = 0; i < sd.params.size(); ++i) {
    if (cb->args[i])
      setNamed(call.args, sd.params[i].name.name, expr(*cb->args[i]));
    else if (sd.params[i].defaultValue)
      setNamed(call.args, sd.params[i].name.name, expr(*sd.params[i].defaultValue));
  }
  return Node{id, where(range), std::move(call)};
}

Node Lowerer::transformNode(const ast::CallExpr& c, const std::string& id, SourceRange range) {
  const sema::CallBinding* cb = prog.call(&c);
  TransformNode t;
  t.model = cb->args[0] ? expr(*cb->args[0]) : nullptr;
  t.data = cb->args[1] ? expr(*cb->args[1]) : nullptr;
  t.shards = cb->args[2] ? expr(*cb->args[2]) : lit(1, "int");
  if (cb->server)
    t.server = stepDef(cb->server->as<ast::StepDecl>());
  else
    fail("transform `" + id + "` has no server");
  // Only when given or not the default, so plans of earlier programs stay as they were.
  if (cb->args.size() > 4 && cb->args[4]) t.joinSource = expr(*cb->args[4]);
  if (std::string f = prog.typeOf(cb->args[1]).format; f == "jsonl") t.format = f;
  if (!t.model || !t.data) fail("transform `" + id + "` has no model or no data");
  return Node{id, where(range), std::move(t)};
}

void Lowerer::block(const ast::Block& b, std::vector<Node>& out) {
  out.reserve(out.size() + b.stmts.size()); // hoisted calls may add more
  for (auto& st : b.stmts) {
    std::vector<Node>* saved = pending;
    pending = &out;
    switch (st->kind) {
    case ast::StmtKind::Assign: {
      auto& a = static_cast<const ast::AssignStmt&>(*st);
      std::string id = nodeIds.at(&a);
      const ast::Expr& v = *a.value;
      const sema::CallBinding* cb =
          v.kind == ast::ExprKind::Call ? prog.call(&v.as<ast::CallExpr>()) : nullptr;
      if (cb && cb->callee && cb->callee->kind == ast::DeclKind::Step) {
        Node n = callNode(v.as<ast::CallExpr>(), id, a.range);
        out.push_back(std::move(n));
      } else if (cb && cb->builtin == "transform") {
        Node n = transformNode(v.as<ast::CallExpr>(), id, a.range);
        out.push_back(std::move(n));
      } else {
        ExprP val = expr(v);
        const sema::Type* t = prog.bindingType(&a);
        std::string type = t ? t->str() : "";
        out.push_back(Node{id, where(a.range), ValueNode{std::move(val), std::move(type)}});
      }
      break;
    }
    case ast::StmtKind::For: {
      auto& f = static_cast<const ast::ForStmt&>(*st);
      ForNode node{f.var.name, expr(*f.iterable), {}};
      block(f.body, node.body);
      // Named after its body, as the JSON form's construction ordered it.
      std::string id = uniqueId("for@" + at(f.range));
      out.push_back(Node{std::move(id), where(f.range), std::move(node)});
      break;
    }
    case ast::StmtKind::If: {
      auto& i = static_cast<const ast::IfStmt&>(*st);
      IfNode node{expr(*i.cond), {}, {}};
      block(i.then, node.then);
      if (i.hasElse) block(i.otherwise, node.otherwise);
      std::string id = uniqueId("if@" + at(i.range));
      out.push_back(Node{std::move(id), where(i.range), std::move(node)});
      break;
    }
    case ast::StmtKind::Register: {
      auto& r = static_cast<const ast::RegisterStmt&>(*st);
      std::string id = uniqueId("register@" + at(r.range));
      RegisterNode node;
      node.model = expr(*r.model);
      auto* g = prog.resolution(r.group.get());
      node.group = g && g->decl ? declKey(*g->decl) : "";
      if (r.with && r.with->kind == ast::ExprKind::Record)
        for (auto& f : r.with->as<ast::RecordExpr>().fields) {
          if (f.name.name == "metrics") node.metrics = expr(*f.value);
          if (f.name.name == "tags" && f.value->kind == ast::ExprKind::Record)
            for (auto& t : f.value->as<ast::RecordExpr>().fields)
              setNamed(node.tags, t.name.name, expr(*t.value));
        }
      out.push_back(Node{std::move(id), where(r.range), std::move(node)});
      break;
    }
    case ast::StmtKind::Fail: {
      auto& f = static_cast<const ast::FailStmt&>(*st);
      std::string id = uniqueId("fail@" + at(f.range));
      FailNode node{expr(*f.message)};
      out.push_back(Node{std::move(id), where(f.range), std::move(node)});
      break;
    }
    }
    pending = saved;
  }
}

bool Lowerer::params(const ast::PipelineDecl& p, Json& out) {
  std::map<std::string, std::string> given;
  std::vector<std::string> names;
  for (auto& pr : p.params)
    names.push_back(pr.name.name);
  bool ok = true;
  for (auto& [k, v] : opts.params) {
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      auto& d = sink.report(DiagCode::BadParam, {},
                            "pipeline `" + p.name.name + "` has no parameter `" + k + "`");
      std::string near = closestName(k, names);
      if (!near.empty()) d.note("did you mean `" + near + "`?");
      d.note("its parameters: " + [&] {
        std::string s;
        for (auto& n : names)
          s += (s.empty() ? "" : ", ") + n;
        return s.empty() ? std::string("none") : s;
      }());
      ok = false;
      continue;
    }
    given[k] = v;
  }
  out = Json::array();
  for (auto& pr : p.params) {
    std::string type = prog.paramType(pr).str();
    Json pj{{"name", pr.name.name}, {"type", type}};
    if (pr.defaultValue) pj["default"] = paramDefault(p, *pr.defaultValue);
    if (auto it = given.find(pr.name.name); it != given.end()) {
      std::string err;
      auto v = parseParamValue(type, it->second, err);
      if (!v) {
        sink.report(DiagCode::BadParam, {}, "--param " + pr.name.name + ": " + err)
            .note("`" + pr.name.name + "` is declared `" + type + "` at " + where(pr.range));
        ok = false;
        continue;
      }
      pj["value"] = *v;
    } else if (pr.defaultValue) {
      pj["value"] = pj["default"];
    } else {
      sink.report(DiagCode::BadParam, {},
                  "pipeline parameter `" + pr.name.name + "` has no default: pass --param " +
                      pr.name.name + "=…")
          .note("declared at " + where(pr.range));
      ok = false;
      continue;
    }
    pj["range"] = where(pr.range);
    out.push_back(pj);
  }
  return ok;
}

std::vector<std::pair<std::string, std::string>> Lowerer::edges(const std::vector<Node>& nodes) {
  // Per node, the ids its own fields refer to in sorted order, each once (not its nested lists':
  // they are nodes of their own); nodes in pre-order. Node ids are unique (`uniqueId`), so no
  // pair can come from two nodes.
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> refs;
  std::function<void(const std::vector<Node>&)> walk = [&](const std::vector<Node>& list) {
    for (auto& n : list) {
      refs.clear();
      for (auto& r : n.refs())
        refs.push_back(std::move(r.first));
      std::sort(refs.begin(), refs.end());
      refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
      for (auto& r : refs)
        out.emplace_back(r, n.id);
      for (auto* c : n.children())
        walk(*c);
    }
  };
  walk(nodes);
  return out;
}

std::string Lowerer::checkNodes(const Plan& plan, const std::vector<Node>& list,
                                const std::string& path) {
  // What the plan's reader checked of nodes that their C++ types do not already guarantee.
  for (size_t i = 0; i < list.size(); ++i) {
    const Node& n = list[i];
    auto at = [&] { return path + "[" + std::to_string(i) + "]"; };
    if (auto* c = n.as<CallNode>(); c && !plan.steps.contains(c->step))
      return "\"" + at() + ".step\" names no step in \"steps\"";
    if (auto* t = n.as<TransformNode>(); t && !plan.servers.contains(t->server))
      return "\"" + at() + ".server\" names no server in \"servers\"";
    for (auto* c : n.children()) {
      const char* part = n.as<ForNode>() ? ".body" : c == n.children()[0] ? ".then" : ".else";
      if (std::string err = checkNodes(plan, *c, at() + part); !err.empty()) return err;
    }
  }
  return "";
}

Json Lowerer::policies() {
  Json models = Json::object(), endpoints = Json::object(), monitors = Json::object(),
       schedules = Json::object();
  for (auto& dp : prog.entry->ast.decls) {
    const ast::Decl& d = *dp;
    auto prop = [&](const char* n) { return prog.property(d, n); };
    auto val = [&](const char* n) { return prop(n) ? jexpr(*prop(n)->value) : Json(); };
    auto num = [&](const char* n) { return prop(n) ? constant(*prop(n)->value) : Json(); };
    switch (d.kind) {
    case ast::DeclKind::Model: {
      Json m{{"approval", "manual"}, {"serve", nullptr}};
      if (auto* p = prop("approval"); p && p->value->kind == ast::ExprKind::Name)
        m["approval"] = p->value->as<ast::NameExpr>().name;
      if (auto* p = prop("serve")) {
        sema::Type t = prog.typeOf(p->value.get());
        if (t.kind == TypeKind::Server && t.decl) m["serve"] = stepDef(t.decl->as<ast::StepDecl>());
      }
      m["range"] = where(d.range);
      models[declKey(d)] = m;
      break;
    }
    case ast::DeclKind::Endpoint: {
      Json e;
      e["model"] = val("model");
      if (auto* p = prop("autoscale"); p && p->value->kind == ast::ExprKind::Record) {
        // Normalised as plan/write.cpp writes it (whole counts, real numbers), defaults filled.
        Json a{{"scale_out_cooldown_s", 300.0}, {"scale_in_cooldown_s", 300.0}};
        for (auto& f : p->value->as<ast::RecordExpr>().fields) {
          Json v = constant(*f.value);
          if (!v.is_number()) continue;
          const std::string& n = f.name.name;
          if (n == "min" || n == "max")
            a[n] = static_cast<int>(v.get<double>());
          else
            a[n == "target" ? n : n + "_s"] = v.get<double>();
        }
        e["autoscale"] = a;
      }
      e["instances"] = prop("instances")         ? num("instances")
                       : e.contains("autoscale") ? e["autoscale"].value("min", Json(1))
                                                 : Json(1);
      Json strategy{{"kind", "all_at_once"}};
      if (auto* p = prop("strategy"); p && p->value->kind == ast::ExprKind::Call) {
        Json c = jexpr(*p->value);
        strategy = Json{{"kind", c.value("call", "all_at_once")}};
        for (auto& [k, v] : c["args"].items())
          strategy[k == "wait" ? "wait_s" : k + "_percent"] = v.contains("lit") ? v["lit"] : v;
      }
      e["strategy"] = strategy;
      e["rollback"] = val("rollback");
      e["bake_s"] = num("bake");
      e["capture_percent"] = num("capture");
      Json mode{{"kind", "realtime"}};
      if (auto* p = prop("mode"); p && p->value->kind == ast::ExprKind::Call) {
        Json c = jexpr(*p->value);
        mode = Json{{"kind", c.value("call", "realtime")}};
        for (auto& [k, v] : c["args"].items())
          mode[k == "idle" ? "idle_s" : k] = v.is_object() && v.contains("lit") ? v["lit"] : v;
      }
      e["mode"] = mode;
      e["range"] = where(d.range);
      endpoints[declKey(d)] = e;
      break;
    }
    case ast::DeclKind::Monitor: {
      Json m;
      m["endpoint"] = val("endpoint").value("decl", "");
      Json b = val("baseline");
      m["baseline"] = b.contains("metric") ? Json{{"kind", "training_data"}} : b;
      m["every_s"] = num("every");
      m["alert"] = val("alert");
      m["on_alert"] = val("on_alert");
      m["range"] = where(d.range);
      monitors[declKey(d)] = m;
      break;
    }
    case ast::DeclKind::Schedule: {
      Json s;
      s["run"] = val("run");
      if (prop("cron")) s["cron"] = num("cron");
      if (prop("every")) s["every_s"] = num("every");
      if (prop("on_change")) s["on_change"] = val("on_change");
      s["range"] = where(d.range);
      schedules[declKey(d)] = s;
      break;
    }
    default:
      break;
    }
  }
  return Json{{"models", models},
              {"endpoints", endpoints},
              {"monitors", monitors},
              {"schedules", schedules}};
}

std::optional<Plan> Lowerer::run() {
  auto pipes = prog.pipelines();
  const ast::PipelineDecl* p = nullptr;
  std::vector<std::string> names;
  for (auto* x : pipes)
    names.push_back(x->name.name);
  if (opts.pipeline.empty()) {
    if (pipes.size() == 1)
      p = pipes[0];
    else {
      auto& d = sink.report(DiagCode::UnknownPipeline, {},
                            pipes.empty() ? prog.entry->displayPath + " declares no pipeline"
                                          : prog.entry->displayPath +
                                                " declares several pipelines: choose one with "
                                                "--pipeline NAME");
      for (auto& n : names)
        d.note("pipeline `" + n + "`");
      return std::nullopt;
    }
  } else {
    for (auto* x : pipes)
      if (x->name.name == opts.pipeline) p = x;
    if (!p) {
      auto& d = sink.report(DiagCode::UnknownPipeline, {},
                            "no pipeline `" + opts.pipeline + "` in " + prog.entry->displayPath);
      std::string near = closestName(opts.pipeline, names);
      if (!near.empty()) d.note("did you mean `" + near + "`?");
      for (auto& n : names)
        d.note("pipeline `" + n + "`");
      return std::nullopt;
    }
  }
  Json ps;
  if (!params(*p, ps)) return std::nullopt;

  // Every binding's node id is its name, made unique (branches may bind the same name twice).
  std::function<void(const ast::Block&)> name = [&](const ast::Block& b) {
    for (auto& st : b.stmts) {
      if (st->kind == ast::StmtKind::Assign)
        nodeIds[st.get()] = uniqueId(static_cast<const ast::AssignStmt&>(*st).name.name);
      if (st->kind == ast::StmtKind::For) name(static_cast<const ast::ForStmt&>(*st).body);
      if (st->kind == ast::StmtKind::If) {
        name(static_cast<const ast::IfStmt&>(*st).then);
        name(static_cast<const ast::IfStmt&>(*st).otherwise);
      }
    }
  };
  name(p->body);
  std::vector<Node> nodes;
  block(p->body, nodes);
  Json pol = policies();

  // Canonical like the entry's directory (the loader's module keys), so `..` and symlinks in
  // `-o ../out/plan.json` cannot make `base` point somewhere else.
  std::error_code ec;
  fs::path planDirPath = opts.planDir.empty() ? fs::current_path() : fs::absolute(opts.planDir);
  fs::path canonicalDir = fs::weakly_canonical(planDirPath, ec);
  std::string planDir = (ec ? planDirPath.lexically_normal() : canonicalDir).string();
  std::string base = fs::path(prog.entry->dir).lexically_relative(planDir).string();
  if (base.empty()) base = ".";

  // Everything but the nodes and edges is built as JSON and read through the plan's reader, so
  // what compile writes and what run reads stay the same typed plan: a lowering the reader
  // refuses is a bug in mlpc, reported as such. The nodes (all but a few of a large plan's
  // bytes) are built typed: a 100k-step plan's JSON tree, read back, was a third of compile.
  Json skeleton;
  skeleton["format"] = kFormat;
  skeleton["version"] = kVersion;
  skeleton["mlpc_version"] = ::mlpc::kVersion;
  skeleton["base"] = base;
  skeleton["entry"] = fs::path(prog.entry->path).filename().string();
  skeleton["pipeline"] =
      Json{{"name", p->name.name}, {"params", std::move(ps)}, {"range", where(p->range)}};
  skeleton["data"] = std::move(data);
  skeleton["steps"] = std::move(steps);
  skeleton["servers"] = std::move(servers);
  skeleton["nodes"] = Json::array();
  skeleton["edges"] = Json::array();
  for (auto& [k, v] : pol.items())
    skeleton[k] = std::move(v);
  std::string err;
  auto plan = read(skeleton, err);
  if (!plan) {
    fail(err);
    return std::nullopt;
  }
  if (std::string bad = checkNodes(*plan, nodes, "nodes"); !bad.empty()) fail(bad);
  if (!internal_.empty()) return std::nullopt;
  plan->edges = edges(nodes);
  plan->nodes = std::move(nodes);
  return plan;
}

} // namespace

std::optional<Plan> lower(const sema::Program& program, const LowerOptions& opts,
                          DiagnosticSink& sink, std::string& internalError) {
  if (!program.entry) return std::nullopt;
  Lowerer l(program, opts, sink);
  auto plan = l.run();
  internalError = l.internalError();
  return plan;
}

std::optional<Json> lower(const sema::Program& program, const LowerOptions& opts,
                          DiagnosticSink& sink) {
  std::string err;
  auto plan = lower(program, opts, sink, err);
  if (!err.empty()) throw std::logic_error("the lowered plan does not read back: " + err);
  if (!plan) return std::nullopt;
  return toJson(*plan);
}

} // namespace mlpc::plan
