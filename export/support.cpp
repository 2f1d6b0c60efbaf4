#include "export/support.h"

#include "plan/expr_text.h"
#include "plan/plan.h"

#include <cctype>
#include <cmath>

namespace mlpc::exporter {

std::string location(const std::string& range) {
  auto dash = range.rfind('-');
  // A range is PATH:L:C-L:C; the path itself may hold dashes, so cut at the last one only when
  // what follows looks like L:C.
  if (dash != std::string::npos && range.find(':', dash) != std::string::npos)
    return range.substr(0, dash);
  return range;
}

std::string shellQuote(const std::string& word) {
  if (!word.empty()) {
    bool safe = true;
    for (char c : word)
      if (!(std::isalnum(static_cast<unsigned char>(c)) ||
            std::string("@%+=:,./_-").find(c) != std::string::npos))
        safe = false;
    if (safe) return word;
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string NameAllocator::name(const std::string& key, const std::string& prefix,
                                const std::string& from) {
  if (auto it = given_.find(key); it != given_.end()) return it->second;
  std::string base;
  for (char c : from.empty() ? key : from) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      base += lowercase_ ? static_cast<char>(std::tolower(u)) : c;
    else if (!base.empty() && base.back() != sep_)
      base += sep_;
  }
  while (!base.empty() && base.back() == sep_)
    base.pop_back();
  if (base.empty() || !std::isalpha(static_cast<unsigned char>(base[0])))
    base = prefix + (base.empty() ? "" : std::string(1, sep_) + base);
  if (base.size() > max_ - 4) base.resize(max_ - 4);
  std::string n = base;
  for (int i = 2; used_.count(n); ++i)
    n = base + sep_ + std::to_string(i);
  used_.insert(n);
  given_[key] = n;
  return n;
}

namespace {

std::optional<Json> evalConst(const plan::Plan& plan, const plan::ExprP& e,
                              const std::vector<plan::NamedExpr>* args, int depth, bool builtins) {
  using plan::ExprKind;
  if (!e || depth > 50) return std::nullopt;
  switch (e->kind) {
  case ExprKind::Lit:
    return e->value;
  case ExprKind::Param:
    for (auto& p : plan.pipeline.params)
      if (p.name == e->name && !plan::isArtifactType(p.type)) return p.value;
    return std::nullopt;
  case ExprKind::Arg:
    if (!args) return std::nullopt;
    for (auto& a : *args)
      if (a.name == e->name) return evalConst(plan, a.value, nullptr, depth + 1, builtins);
    return std::nullopt;
  case ExprKind::List: {
    Json out = Json::array();
    for (auto& i : e->items) {
      auto v = evalConst(plan, i, args, depth + 1, builtins);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
  case ExprKind::Interp: {
    std::string s;
    for (auto& p : e->parts) {
      if (!p.expr) {
        s += p.text;
        continue;
      }
      auto v = evalConst(plan, p.expr, args, depth + 1, builtins);
      if (!v) return std::nullopt;
      s += plan::commandText(*v, p.type);
    }
    return Json(s);
  }
  case ExprKind::Op: {
    std::vector<Json> v;
    for (auto& i : e->items) {
      auto x = evalConst(plan, i, args, depth + 1, builtins);
      if (!x) return std::nullopt;
      v.push_back(*x);
    }
    const std::string& op = e->name;
    if (v.size() == 1) {
      if (op == "neg" && v[0].is_number_integer()) return Json(-v[0].get<long long>());
      if (op == "neg" && v[0].is_number()) return Json(-v[0].get<double>());
      if (op == "not" && v[0].is_boolean()) return Json(!v[0].get<bool>());
      return std::nullopt;
    }
    if (v.size() != 2) return std::nullopt;
    if (op == "and" || op == "or") {
      if (!v[0].is_boolean() || !v[1].is_boolean()) return std::nullopt;
      return Json(op == "and" ? v[0].get<bool>() && v[1].get<bool>()
                              : v[0].get<bool>() || v[1].get<bool>());
    }
    if (!v[0].is_number() || !v[1].is_number()) return std::nullopt;
    bool ints = v[0].is_number_integer() && v[1].is_number_integer();
    double a = v[0].get<double>(), b = v[1].get<double>();
    if (op == "+") return ints ? Json(v[0].get<long long>() + v[1].get<long long>()) : Json(a + b);
    if (op == "-") return ints ? Json(v[0].get<long long>() - v[1].get<long long>()) : Json(a - b);
    if (op == "*") return ints ? Json(v[0].get<long long>() * v[1].get<long long>()) : Json(a * b);
    if (op == "/") {
      if (b == 0) return std::nullopt;
      return ints ? Json(v[0].get<long long>() / v[1].get<long long>()) : Json(a / b);
    }
    if (op == "<") return Json(a < b);
    if (op == "<=") return Json(a <= b);
    if (op == ">") return Json(a > b);
    if (op == ">=") return Json(a >= b);
    if (op == "==") return Json(a == b);
    if (op == "!=") return Json(a != b);
    return std::nullopt;
  }
  case ExprKind::Call: {
    // The builtins whose value is known when their arguments are (`len(depths)`, `range(n)`),
    // and the length of a loop's results over a list known when exporting (foldedValue only).
    if (!builtins) return std::nullopt;
    if (auto n = loopResultsLength(plan, *e)) return Json(*n);
    if (e->named.size() != 1) return std::nullopt;
    auto v = evalConst(plan, e->named[0].value, args, depth + 1, builtins);
    if (!v) return std::nullopt;
    if (e->name == "len" && v->is_array()) return Json(static_cast<long long>(v->size()));
    if (e->name == "range" && v->is_number_integer() && v->get<long long>() >= 0 &&
        v->get<long long>() <= 1000000) {
      Json out = Json::array();
      for (long long i = 0; i < v->get<long long>(); ++i)
        out.push_back(i);
      return out;
    }
    if (e->name == "flatten" && v->is_array()) {
      Json out = Json::array();
      for (auto& inner : *v) {
        if (!inner.is_array()) return std::nullopt;
        for (auto& x : inner)
          out.push_back(x);
      }
      return out;
    }
    return std::nullopt;
  }
  default:
    return std::nullopt;
  }
}

/// `e` as a list the selection reads; `flattens` counts the `flatten(…)` around it.
bool selectList(const plan::Plan& plan, const plan::ExprP& e, SelectList& out, int flattens) {
  using plan::ExprKind;
  if (!e) return false;
  if (e->kind == ExprKind::Call && e->name == "flatten" && e->named.size() == 1)
    return selectList(plan, e->named[0].value, out, flattens + 1);
  std::string field;
  plan::ExprP of = e;
  while (of && of->kind == ExprKind::Field) {
    field = of->name + (field.empty() ? "" : "." + field);
    of = of->of;
  }
  if (of && of->kind == ExprKind::Ref && of->lifted && *of->lifted == flattens + 1) {
    if (!field.empty() && !of->output) return false;
    out.node = of->name;
    out.output = of->output;
    out.field = field;
    out.lifted = *of->lifted;
    return true;
  }
  if (!field.empty()) return false;
  auto v = evalConst(plan, e, nullptr, 0, true);
  if (!v || !v->is_array()) return false;
  for (int i = 0; i < flattens; ++i) {
    Json flat = Json::array();
    for (auto& inner : *v) {
      if (!inner.is_array()) return false;
      for (auto& x : inner)
        flat.push_back(x);
    }
    v = flat;
  }
  out.constant = *v;
  if (e->kind == ExprKind::Param && flattens == 0) out.param = e->name;
  return true;
}

} // namespace

std::optional<Selection> selectionOf(const plan::Plan& plan, const plan::ValueNode& v) {
  const plan::ExprP& e = v.value;
  if (!e || e->kind != plan::ExprKind::Call || (e->name != "argmax" && e->name != "argmin"))
    return std::nullopt;
  Selection s;
  s.argmin = e->name == "argmin";
  bool items = false, scores = false;
  for (auto& a : e->named) {
    if (a.name == "items") items = selectList(plan, a.value, s.items, 0);
    if (a.name == "scores") scores = selectList(plan, a.value, s.scores, 0);
  }
  if (!items || !scores) return std::nullopt;
  return s;
}

namespace {
/// The `for` nodes around node `id`, innermost first (through `if` branches); false when the
/// node is not in `nodes`.
bool loopsAround(const std::vector<plan::Node>& nodes, const std::string& id,
                 std::vector<const plan::Node*>& out) {
  for (auto& n : nodes) {
    if (n.id == id) return true;
    for (auto* c : n.children())
      if (loopsAround(*c, id, out)) {
        if (n.kind() == plan::NodeKind::For) out.push_back(&n);
        return true;
      }
  }
  return false;
}
} // namespace

std::optional<long long> loopResultsLength(const plan::Plan& plan, const plan::Expr& call) {
  if (call.kind != plan::ExprKind::Call || call.name != "len" || call.named.size() != 1)
    return std::nullopt;
  const plan::ExprP& x = call.named[0].value;
  if (!x || x->kind != plan::ExprKind::Ref || !x->lifted) return std::nullopt;
  std::vector<const plan::Node*> loops;
  if (!loopsAround(plan.nodes, x->name, loops) || loops.size() < static_cast<size_t>(*x->lifted))
    return std::nullopt;
  auto* f = loops[static_cast<size_t>(*x->lifted) - 1]->as<plan::ForNode>();
  auto v = foldedValue(plan, f->over, nullptr);
  if (!v || !v->is_array()) return std::nullopt;
  return static_cast<long long>(v->size());
}

const char* selectFunctionPython() {
  return R"PY(def _select(items, scores, argmin):
    """argmax/argmin as mlpc run computes it: the first best number; non-numbers skipped."""
    if len(items) != len(scores):
        raise ValueError("items and scores must be lists of the same length (%d and %d)"
                         % (len(items), len(scores)))
    if not items:
        raise ValueError("argmax of an empty list")

    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    best = 0
    for i in range(1, len(items)):
        if not number(scores[i]):
            continue
        if not number(scores[best]) or (scores[i] < scores[best] if argmin
                                        else scores[i] > scores[best]):
            best = i
    return best
)PY";
}

std::string serverTemplate(const plan::Plan& plan, const plan::StepDef& server,
                           const plan::ExprP& tmpl, const std::string& modelPath, int port,
                           bool quote, const std::string& what, const std::string& range) {
  if (!tmpl) return "";
  if (auto lit = tmpl->literalString()) return *lit;
  std::string out;
  for (auto& p : tmpl->parts) {
    if (!p.expr) {
      out += p.text;
      continue;
    }
    std::string word;
    if (p.expr->kind == plan::ExprKind::Port) {
      word = std::to_string(port);
    } else if (p.expr->kind == plan::ExprKind::Arg && p.expr->name == "model") {
      word = modelPath;
    } else if (auto k = constantValue(plan, p.expr, nullptr)) {
      word = plan::commandText(*k, p.type);
    } else {
      throw Unsupported(range, what + " cannot express the server `" + server.name +
                                   "` of a batch inference (`transform`): its command uses `" +
                                   plan::sourceText(p.expr, {}) +
                                   "`, known only when the pipeline runs");
    }
    out += quote ? shellQuote(word) : word;
  }
  return out;
}

bool transformJoinSource(const plan::Plan& plan, const plan::TransformNode& t,
                         const std::string& what, const std::string& range) {
  if (!t.joinSource) return false;
  auto v = constantValue(plan, t.joinSource, nullptr);
  if (!v || !v->is_boolean())
    throw Unsupported(range, what + " cannot express a `join_source` known only when the "
                                    "pipeline runs (batch inference's output columns are "
                                    "fixed when exporting)");
  return v->get<bool>();
}

std::string transformCommand(const plan::StepDef& server, const plan::TransformNode& t,
                             const std::string& driverPath, const std::string& serverCommand,
                             int port, bool joinSource, const std::string& dataPath,
                             const std::string& outPath) {
  return "/usr/bin/python3 " + shellQuote(driverPath) + " --server-cmd " +
         shellQuote(serverCommand) + " --port " + std::to_string(port) + " --health " +
         shellQuote(server.health.is_string() ? server.health.get<std::string>() : "/health") +
         " --invoke " +
         shellQuote(server.invoke.is_string() ? server.invoke.get<std::string>() : "/invocations") +
         " --format " + t.format + (joinSource ? " --join-source" : "") + " --data " +
         shellQuote(dataPath) + " --out " + shellQuote(outPath);
}

std::optional<Json> constantValue(const plan::Plan& plan, const plan::ExprP& e,
                                  const std::vector<plan::NamedExpr>* args) {
  return evalConst(plan, e, args, 0, false);
}

std::optional<Json> foldedValue(const plan::Plan& plan, const plan::ExprP& e,
                                const std::vector<plan::NamedExpr>* args) {
  return evalConst(plan, e, args, 0, true);
}

Json propertyValue(const plan::Plan& plan, const plan::Prop& prop,
                   const std::vector<plan::NamedExpr>& args, const std::string& what,
                   const std::string& callRange) {
  if (!prop.isExpr()) {
    // The plan's known issue: a negative literal is written as a `neg` operation.
    if (prop.plain.is_object()) {
      std::string err;
      auto e = plan::readExpr(prop.plain, what, err);
      if (e) {
        if (auto v = constantValue(plan, e, &args)) return *v;
      }
      throw Unsupported(callRange, "`" + what + "` is not a constant");
    }
    return prop.plain;
  }
  auto v = constantValue(plan, prop.expr, &args);
  if (!v)
    throw Unsupported(prop.range.empty() ? callRange : prop.range,
                      "`" + what + "` depends on a value known only while the pipeline runs");
  return *v;
}

namespace {

bool plainKey(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == '/'))
      return false;
  return std::isalpha(static_cast<unsigned char>(k[0])) != 0;
}

std::string scalar(const Json& v) {
  if (v.is_string()) return v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return v.dump();
}

void emit(const Json& v, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string key = plainKey(it.key()) ? it.key() : Json(it.key()).dump();
      const Json& c = it.value();
      if ((c.is_object() || c.is_array()) && !c.empty()) {
        out += pad + key + ":\n";
        emit(c, c.is_array() ? indent : indent + 2, out);
      } else {
        out += pad + key + ": " + (c.is_object() ? "{}" : c.is_array() ? "[]" : scalar(c)) + "\n";
      }
    }
    return;
  }
  if (v.is_array()) {
    for (auto& c : v) {
      if (c.is_object() && !c.empty()) {
        std::string sub;
        emit(c, indent + 2, sub);
        // The first line of the object goes after the dash.
        out += pad + "- " + sub.substr(static_cast<size_t>(indent) + 2);
      } else if (c.is_array() && !c.empty()) {
        out += pad + "-\n";
        emit(c, indent + 2, out);
      } else {
        out += pad + "- " + (c.is_object() ? "{}" : c.is_array() ? "[]" : scalar(c)) + "\n";
      }
    }
    return;
  }
  out += pad + scalar(v) + "\n";
}

} // namespace

std::string toYaml(const Json& doc) {
  std::string out;
  emit(doc, 0, out);
  return out;
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"argo", "Argo Workflows", ".yaml", exportArgo},
      {"sagemaker", "SageMaker Pipelines", ".json", exportSageMaker},
      {"airflow", "Airflow", ".py", exportAirflow},
      {"stepfunctions", "AWS Step Functions", ".asl.json", exportStepFunctions},
  };
  return all;
}

const Target* findTarget(const std::string& name) {
  for (auto& t : targets())
    if (name == t.name) return &t;
  return nullptr;
}

const plan::PipelineParam* findParam(const plan::Plan& plan, const std::string& name) {
  for (auto& p : plan.pipeline.params)
    if (p.name == name) return &p;
  return nullptr;
}

const plan::StepOutput* callOutput(const plan::Plan& plan,
                                   const std::map<std::string, const plan::Node*>& nodeOf,
                                   const std::string& id, const std::string& out) {
  auto it = nodeOf.find(id);
  if (it == nodeOf.end()) return nullptr;
  auto* c = it->second->as<plan::CallNode>();
  const plan::StepDef* d = c ? plan.steps.find(c->step) : nullptr;
  return d ? d->output(out) : nullptr;
}

const plan::NamedExpr* callArg(const plan::CallNode& call, const std::string& name) {
  for (auto& a : call.args)
    if (a.name == name) return &a;
  return nullptr;
}

std::string paramType(const plan::StepDef& def, const std::string& name) {
  for (auto& sp : def.params)
    if (sp.name == name) return sp.type;
  return "";
}

std::string imagePath(const Options& opt, const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  if (path.rfind("@stdlib/", 0) == 0) return opt.stdlibRoot + "/" + path.substr(8);
  return opt.sourceRoot + (path == "." ? "" : "/" + path);
}

namespace {

// Limits of the SageMaker API (botocore's service model, CreateProcessingJob).
constexpr size_t kMaxArgumentChars = 256; ///< each ContainerEntrypoint / ContainerArguments item
constexpr size_t kMaxArguments = 100;     ///< ContainerArguments items

/// The smallest instance type with at least the cpus, memory and GPUs asked for.
struct Instance {
  const char* type;
  double cpus, memoryGiB;
  int gpus;
};
const Instance kInstances[] = {
    {"ml.m5.large", 2, 8, 0},         {"ml.m5.xlarge", 4, 16, 0},
    {"ml.m5.2xlarge", 8, 32, 0},      {"ml.m5.4xlarge", 16, 64, 0},
    {"ml.m5.12xlarge", 48, 192, 0},   {"ml.m5.24xlarge", 96, 384, 0},
    {"ml.g4dn.xlarge", 4, 16, 1},     {"ml.g4dn.2xlarge", 8, 32, 1},
    {"ml.g4dn.4xlarge", 16, 64, 1},   {"ml.g4dn.8xlarge", 32, 128, 1},
    {"ml.g4dn.12xlarge", 48, 192, 4}, {"ml.p3.16xlarge", 64, 488, 8},
};

double number(const Json& v, const std::string& what, const std::string& range) {
  if (!v.is_number()) throw Unsupported(range, "`" + what + "` is not a number");
  return v.get<double>();
}

} // namespace

Json containerArguments(const std::string& script, const std::string& step,
                        const std::string& callRange, const std::string& title,
                        const std::string& doc) {
  Json args = Json::array();
  size_t pos = 0;
  while (pos < script.size()) {
    if (script.size() - pos <= kMaxArgumentChars) {
      args.push_back(script.substr(pos));
      break;
    }
    size_t cut = script.rfind(' ', pos + kMaxArgumentChars);
    if (cut == std::string::npos || cut < pos) {
      size_t end = script.find(' ', pos);
      throw Unsupported(
          callRange,
          title + " cannot express the command of step `" + step + "`: it has a word of " +
              std::to_string((end == std::string::npos ? script.size() : end) - pos) +
              " characters, and a SageMaker job argument holds at most 256 (" + doc + ", Limits)");
    }
    args.push_back(script.substr(pos, cut - pos));
    pos = cut + 1;
  }
  if (args.size() > kMaxArguments)
    throw Unsupported(callRange, title + " cannot express the command of step `" + step +
                                     "`: it needs " + std::to_string(args.size()) +
                                     " job arguments of 256 characters, and SageMaker allows 100");
  return args;
}

std::string instanceType(const plan::Plan& plan, const plan::StepDef& def,
                         const std::vector<plan::NamedExpr>& args, const std::string& callRange,
                         const std::string& title, const std::string& doc) {
  double cpu = number(propertyValue(plan, def.resources.cpu, args, "resources.cpu", callRange),
                      "resources.cpu", callRange);
  Json mem = propertyValue(plan, def.resources.memoryBytes, args, "resources.memory", callRange);
  double memGiB =
      mem.is_null() ? 0 : number(mem, "resources.memory", callRange) / (1024.0 * 1024 * 1024);
  double gpu = number(propertyValue(plan, def.resources.gpu, args, "resources.gpu", callRange),
                      "resources.gpu", callRange);
  for (auto& i : kInstances)
    if (i.cpus >= cpu && i.memoryGiB >= memGiB && i.gpus >= gpu && (gpu > 0) == (i.gpus > 0))
      return i.type;
  throw Unsupported(callRange, title + " cannot express the resources of step `" + def.name +
                                   "`: no instance type in the table of " + doc +
                                   " has that many cpus, memory and GPUs");
}

const Selection* selectionAt(const std::map<std::string, Selection>& selections,
                             const plan::ExprP& e, std::string& id, std::string& path) {
  path.clear();
  plan::ExprP of = e;
  while (of && of->kind == plan::ExprKind::Field) {
    path = of->name + (path.empty() ? "" : "." + path);
    of = of->of;
  }
  if (!of || of->kind != plan::ExprKind::Ref || of->output || of->lifted) return nullptr;
  auto it = selections.find(of->name);
  if (it == selections.end()) return nullptr;
  id = of->name;
  return &it->second;
}

std::string iterationAt(const plan::Plan& plan,
                        const std::map<std::string, std::vector<std::string>>& iterations,
                        const plan::ExprP& e) {
  if (!e || e->kind != plan::ExprKind::Index || !e->of || e->of->kind != plan::ExprKind::Ref ||
      e->of->lifted.value_or(0) != 1 || !e->of->output)
    return "";
  auto it = iterations.find(e->of->name);
  auto i = foldedValue(plan, e->index, nullptr);
  if (it == iterations.end() || !i || !i->is_number_integer()) return "";
  long long k = i->get<long long>();
  if (k < 0) k += static_cast<long long>(it->second.size());
  if (k < 0 || k >= static_cast<long long>(it->second.size())) return "";
  return it->second[static_cast<size_t>(k)];
}

} // namespace mlpc::exporter
