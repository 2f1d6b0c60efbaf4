// AWS Step Functions: an Amazon States Language state machine (JSONPath) with one SageMaker
// processing job per step call (docs/export/stepfunctions.md has the mapping and its limits).
#include "export/support.h"

#include "plan/expr_text.h"
#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace mlpc::exporter {

namespace {

using plan::Expr;
using plan::ExprKind;
using plan::ExprP;
using plan::Node;

const char* const kTitle = "AWS Step Functions";
const char* const kDoc = "docs/export/stepfunctions.md";
const char* const kInputRoot = "/opt/ml/processing/input/";
const char* const kOutputRoot = "/opt/ml/processing/output/";
const char* const kRoleParam = "MlpcRoleArn";

// Limits (docs/export/stepfunctions.md, Limits).
constexpr size_t kMaxPayloadBytes = 262144;     ///< a state's input or output (256 KiB)
constexpr size_t kMaxDefinitionChars = 1048576; ///< a state machine definition
constexpr long long kMaxHistoryEvents = 25000;  ///< events in one execution's history
constexpr size_t kMaxProcessingInputs = 10;     ///< CreateProcessingJob ProcessingInputs
constexpr double kMaxRuntimeS = 777600;         ///< StoppingCondition.MaxRuntimeInSeconds
constexpr size_t kJobNamePrefix = 26;           ///< 63 (job name) - 1 - 36 (a UUID)
constexpr double kMaxRangeItems = 1000;         ///< items States.ArrayRange makes

/// Paths of the state holding a backslash and a newline: a States.Format template gets them
/// as arguments, since the ASL validator's grammar takes neither `\\` nor a newline in one.
const char* const kBackslash = "$.const._backslash";
const char* const kNewline = "$.const._newline";

/// Text that may hold run-time values: `raw` when `args` is empty, else States.Format(tmpl, args).
struct Text {
  std::string raw, tmpl;
  std::vector<std::string> args;
  void text(const std::string& s) {
    raw += s;
    for (char c : s) {
      if (c == '\\' || c == '\n') {
        path(c == '\n' ? kNewline : kBackslash);
        continue;
      }
      if (c == '\'' || c == '{' || c == '}') tmpl += '\\';
      tmpl += c;
    }
  }
  void path(const std::string& p) {
    tmpl += "{}";
    args.push_back(p);
  }
  void append(const Text& o) {
    raw += o.raw;
    tmpl += o.tmpl;
    args.insert(args.end(), o.args.begin(), o.args.end());
  }
  bool dynamic() const { return !args.empty(); }
  std::string format() const {
    std::string s = "States.Format('" + tmpl + "'";
    for (auto& a : args)
      s += ", " + a;
    return s + ")";
  }
  /// Sets `obj[key]` (static) or `obj[key.$]` (dynamic).
  void setIn(Json& obj, const std::string& key) const {
    if (dynamic())
      obj[key + ".$"] = format();
    else
      obj[key] = raw;
  }
};

/// A run-time or constant operand: a JSONPath (`path` set) or a literal.
struct Operand {
  std::string path;
  Json lit;
  std::string type; ///< "num", "str", "bool" or "" (unknown)
};

struct Sf {
  const plan::Plan& plan;
  const Options& opt;
  NameAllocator names{false, '_', 80};
  std::map<std::string, const Node*> nodeOf;
  std::set<std::string> single = plan::singleOutputNodes(plan);
  /// Node id -> the loop variables of the `for`s around it, outermost first.
  std::map<std::string, std::vector<std::string>> loopsOf;
  std::vector<std::string> loops; ///< while walking: the enclosing loop variables
  /// Loop variable -> its type ("int", "string", …) when known.
  std::map<std::string, std::string> loopType;
  Json constants = Json::object(); ///< lists of `for`s over literals, in the state as `$.const`
  /// `best = argmax(xs, scores.f)` (or argmin) over the results of a top-level `for`: the
  /// iteration with the best score is picked by a loop of states (`pick`), then `best` is that
  /// iteration's output, metrics or list item.
  struct Pick {
    const Node* forNode = nullptr;
    bool min = false;
    std::string scorePath;    ///< in a collected iteration: `metrics.KEY.value.FIELD`
    std::string call, output; ///< `xs` is an output of a call in the loop's body…
    bool item = false;        ///< …or the loop's list itself
    std::string state;        ///< the first state of the picking loop
    /// Over nested `for`s (`argmax(flatten(xs), flatten(s.f))`): the loops, outermost first,
    /// whose kept results a Pass flattens before picking; each iteration's `index` is then an
    /// object with every loop's index.
    std::vector<const Node*> nest;
  };
  std::map<std::string, Pick> picks; ///< value node id -> its pick
  /// `for` node id -> how each iteration's result is kept: "" its index, item and metrics;
  /// "nest" the same with `index` and `item` of every enclosing loop (the innermost loop of a
  /// nested pick); "outer" the kept results of the loop in its body (`results`).
  std::map<std::string, std::string> collect;
  /// Node id -> the `for`s around it, outermost first.
  std::map<std::string, std::vector<const Node*>> forsOf;
  /// Value bindings with arithmetic that states cannot compute (`gap = t.auc - limit`): a
  /// processing job computes each, and its value is read into `$.metrics.NAME_value.value`.
  std::set<std::string> computed;
  std::string bucket, keyPrefix;

  Sf(const plan::Plan& p, const Options& o) : plan(p), opt(o) {
    names.reserve("Succeeded");
    names.reserve("Defaults");
    names.reserve("Init");
    std::vector<const Node*> fors;
    std::function<void(const std::vector<Node>&, std::vector<std::string>&)> index =
        [&](const std::vector<Node>& nodes, std::vector<std::string>& around) {
          for (auto& n : nodes) {
            nodeOf[n.id] = &n;
            loopsOf[n.id] = around;
            forsOf[n.id] = fors;
            stateName(n.id);
            if (auto* f = n.as<plan::ForNode>()) {
              around.push_back(f->var);
              fors.push_back(&n);
              index(f->body, around);
              fors.pop_back();
              around.pop_back();
            } else {
              for (auto* c : n.children())
                index(*c, around);
            }
          }
        };
    std::vector<std::string> around;
    index(plan.nodes, around);
    std::string rest = opt.s3Prefix.substr(5); // after s3://
    auto slash = rest.find('/');
    bucket = rest.substr(0, slash);
    keyPrefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    findPicks();
    findIndexed();
    findComputed();
  }

  [[noreturn]] void unsupported(const std::string& range, const std::string& what) {
    throw Unsupported(range, std::string(kTitle) + " cannot express " + what);
  }
  std::string text(const ExprP& e) { return plan::sourceText(e, single); }
  std::string stateName(const std::string& id) { return names.name(id, "s"); }
  const plan::PipelineParam* param(const std::string& name) { return findParam(plan, name); }
  const plan::StepOutput* outputOf(const std::string& id, const std::string& out) {
    return callOutput(plan, nodeOf, id, out);
  }
  static std::string metricsKey(const std::string& state, const std::string& out) {
    return state + "_" + out;
  }

  /// The S3 key (after the bucket) of output `out` of call `id`, or of a file in it (`file`):
  /// PREFIX/EXECUTION/STATE[/INDEX…]/OUT[/file], the indices those of the `for`s around the call
  /// (`pickIndex` "": this iteration's; a path: the one there; a path ending in `.`: the loop
  /// variable's under it; a number: that iteration, known at export).
  Text outputKey(const std::string& id, const std::string& out, const std::string& file,
                 const std::string& pickIndex = "") {
    Text t;
    if (!keyPrefix.empty()) t.text(keyPrefix + "/");
    t.path("$$.Execution.Name");
    t.text("/" + stateName(id));
    for (auto& v : loopsOf[id]) {
      t.text("/");
      if (pickIndex.empty())
        t.path("$.index." + v);
      else if (pickIndex.back() == '.') // the picked iteration's index of each loop
        t.path(pickIndex + v);
      else if (pickIndex[0] == '$')
        t.path(pickIndex);
      else
        t.text(pickIndex); // an index known at export
    }
    t.text("/" + out);
    if (!file.empty()) t.text("/" + file);
    return t;
  }
  Text outputUri(const std::string& id, const std::string& out, const std::string& pickIndex = "") {
    Text t;
    t.text("s3://" + bucket + "/");
    t.append(outputKey(id, out, "", pickIndex));
    return t;
  }
  std::string pickPath(const std::string& valueId) {
    return "$.argmax." + stateName(valueId) + ".pick";
  }
  /// The S3 URI of an artifact expression: a call's output, or the output an argmax picked.
  std::optional<Text> artifactUri(const ExprP& e) {
    if (!indexedFor(e).empty())
      return outputUri(e->of->name, *e->of->output,
                       plan::commandText(*constantValue(plan, e->index, nullptr), "int"));
    if (!e || e->kind != ExprKind::Ref || e->lifted) return std::nullopt;
    if (e->output) return outputUri(e->name, *e->output);
    if (auto it = picks.find(e->name); it != picks.end() && !it->second.item)
      return outputUri(it->second.call, it->second.output,
                       pickPath(e->name) + (it->second.nest.empty() ? ".index" : ".index."));
    return std::nullopt;
  }
  /// The output (of a call) an artifact expression is, for its type; null for a transform's.
  const plan::StepOutput* artifactOutput(const ExprP& e) {
    if (e->kind == ExprKind::Index) return outputOf(e->of->name, *e->of->output);
    if (e->output) return outputOf(e->name, *e->output);
    auto& p = picks.at(e->name);
    return outputOf(p.call, p.output);
  }
  /// The name of the output an artifact expression is.
  std::string artifactName(const ExprP& e) {
    if (e->kind == ExprKind::Index) return *e->of->output;
    return e->output ? *e->output : picks.at(e->name).output;
  }

  /// Finds `argmax`/`argmin` bindings this target can express (see Pick).
  void findPicks() {
    for (auto& n : plan.nodes) {
      auto* v = n.as<plan::ValueNode>();
      if (!v || !v->value || v->value->kind != ExprKind::Call) continue;
      const Expr& c = *v->value;
      if (c.name != "argmax" && c.name != "argmin") continue;
      ExprP items, scores;
      for (auto& a : c.named) {
        if (a.name == "items") items = a.value;
        if (a.name == "scores") scores = a.value;
      }
      if (!items || !scores || scores->kind != ExprKind::Field) continue;
      std::string field = scores->name;
      ExprP of = scores->of;
      while (of && of->kind == ExprKind::Field) {
        field = of->name + "." + field;
        of = of->of;
      }
      if (!of || of->kind != ExprKind::Ref || !of->output || of->lifted != 1) continue;
      auto* so = outputOf(of->name, *of->output);
      if (!so || !so->isMetrics()) continue;
      // The scores' call must be directly in the body of a top-level `for`.
      const Node* f = nullptr;
      for (auto& top : plan.nodes)
        if (auto* fn = top.as<plan::ForNode>())
          for (auto& b : fn->body)
            if (b.id == of->name && b.kind() == plan::NodeKind::Call) f = &top;
      if (!f) continue;
      Pick p;
      p.forNode = f;
      p.min = c.name == "argmin";
      p.scorePath = "metrics." + metricsKey(stateName(of->name), *of->output) + ".value." + field;
      auto& fn = *f->as<plan::ForNode>();
      if (items->kind == ExprKind::Ref && items->output && items->lifted == 1) {
        bool inBody = false;
        for (auto& b : fn.body)
          if (b.id == items->name && b.kind() == plan::NodeKind::Call) inBody = true;
        if (!inBody) continue;
        p.call = items->name;
        p.output = *items->output;
      } else if (items->kind == ExprKind::Param && fn.over && fn.over->kind == ExprKind::Param &&
                 fn.over->name == items->name) {
        p.item = true;
      } else {
        continue;
      }
      picks[n.id] = p;
      collect[f->id] = "";
    }
    for (auto& n : plan.nodes)
      if (auto* v = n.as<plan::ValueNode>(); v && !picks.count(n.id)) findNestedPick(n, *v);
  }

  /// `argmax(flatten(xs), flatten(s.f))` (or argmin, or over deeper nests): `s` a metrics output
  /// of a call directly in the innermost of `for`s each directly in the one before, the first
  /// at the top level; `xs` an output of such a call. Lifted once per loop.
  void findNestedPick(const Node& n, const plan::ValueNode& v) {
    std::optional<Selection> sel = selectionOf(plan, v);
    if (!sel || sel->scores.node.empty() || sel->items.node.empty() || !sel->scores.output ||
        !sel->items.output || sel->scores.field.empty() || sel->scores.lifted < 2 ||
        sel->items.lifted != sel->scores.lifted)
      return;
    auto* so = outputOf(sel->scores.node, *sel->scores.output);
    if (!so || !so->isMetrics() || !outputOf(sel->items.node, *sel->items.output)) return;
    const std::vector<const Node*>& nest = forsOf[sel->scores.node];
    if (nest.size() != static_cast<size_t>(sel->scores.lifted) || forsOf[sel->items.node] != nest)
      return;
    auto directlyIn = [](const std::vector<Node>& body, const std::string& id) {
      for (auto& b : body)
        if (b.id == id) return true;
      return false;
    };
    if (!directlyIn(plan.nodes, nest[0]->id)) return;
    for (size_t i = 1; i < nest.size(); ++i)
      if (!directlyIn(nest[i - 1]->as<plan::ForNode>()->body, nest[i]->id)) return;
    auto& inner = nest.back()->as<plan::ForNode>()->body;
    if (!directlyIn(inner, sel->scores.node) || !directlyIn(inner, sel->items.node)) return;
    Pick p;
    p.forNode = nest[0];
    p.min = sel->argmin;
    p.scorePath = "metrics." + metricsKey(stateName(sel->scores.node), *sel->scores.output) +
                  ".value." + sel->scores.field;
    p.call = sel->items.node;
    p.output = *sel->items.output;
    p.nest = nest;
    picks[n.id] = p;
    for (size_t i = 0; i < nest.size(); ++i)
      collect[nest[i]->id] = i + 1 == nest.size() ? "nest" : "outer";
  }

  /// `xs[I]` of the results of a call directly in the body of a top-level `for`, I a
  /// non-negative index known at export: the `for`'s node id (its results are then kept), or "".
  std::string indexedFor(const ExprP& e) {
    if (!e || e->kind != ExprKind::Index || !e->of || e->of->kind != ExprKind::Ref ||
        e->of->lifted.value_or(0) != 1 || !e->of->output)
      return "";
    auto k = constantValue(plan, e->index, nullptr);
    if (!k || !k->is_number_integer() || k->get<long long>() < 0) return "";
    auto it = forsOf.find(e->of->name);
    if (it == forsOf.end() || it->second.size() != 1) return "";
    for (auto& top : plan.nodes)
      if (&top == it->second[0]) return top.id;
    return "";
  }
  /// Keeps the results of the `for`s whose iterations are indexed (`s[0].auc`, `s[0]`).
  void findIndexed() {
    std::function<void(const ExprP&)> visit = [&](const ExprP& e) {
      if (!e) return;
      if (std::string f = indexedFor(e); !f.empty()) collect[f] = "";
      for (auto& i : e->items)
        visit(i);
      for (auto& a : e->named)
        visit(a.value);
      for (auto& p : e->parts)
        visit(p.expr);
      visit(e->of);
      visit(e->index);
    };
    forEachNode(plan.nodes, [&](const Node& n) {
      if (auto* c = n.as<plan::CallNode>())
        for (auto& a : c->args)
          visit(a.value);
      if (auto* t = n.as<plan::TransformNode>()) visit(t->model), visit(t->data);
      if (auto* v = n.as<plan::ValueNode>()) visit(v->value);
      if (auto* i = n.as<plan::IfNode>()) visit(i->cond);
      if (auto* f = n.as<plan::FailNode>()) visit(f->message);
      if (auto* r = n.as<plan::RegisterNode>()) {
        visit(r->model), visit(r->metrics);
        for (auto& t : r->tags)
          visit(t.value);
      }
    });
  }

  static bool arithmetic(const ExprP& e) {
    if (!e) return false;
    if (e->kind == ExprKind::Op &&
        (e->name == "+" || e->name == "-" || e->name == "*" || e->name == "/" || e->name == "neg"))
      return true;
    for (auto& i : e->items)
      if (arithmetic(i)) return true;
    for (auto& a : e->named)
      if (arithmetic(a.value)) return true;
    for (auto& p : e->parts)
      if (arithmetic(p.expr)) return true;
    return arithmetic(e->of) || arithmetic(e->index);
  }

  /// Finds the value bindings a job computes (`computed`): arithmetic on run-time values,
  /// which neither a state's paths nor a Choice rule can express.
  void findComputed() {
    forEachNode(plan.nodes, [&](const Node& n) {
      auto* v = n.as<plan::ValueNode>();
      if (!v || !v->value || picks.count(n.id) || v->value->kind == ExprKind::Call ||
          !arithmetic(v->value))
        return;
      loops = loopsOf[n.id];
      bool written = false;
      try {
        textOf(v->value, v->type, n.range);
        written = true;
      } catch (const Unsupported&) {
      }
      if (!written) computed.insert(n.id);
    });
    loops.clear();
  }

  /// A value binding written out where it is used (not one a job computes).
  const plan::ValueNode* valueNode(const Expr& e) {
    if (e.kind != ExprKind::Ref || e.lifted || e.output || computed.count(e.name)) return nullptr;
    auto it = nodeOf.find(e.name);
    return it == nodeOf.end() ? nullptr : it->second->as<plan::ValueNode>();
  }

  static std::string kindOf(const std::string& type) {
    if (type == "string") return "str";
    if (type == "bool") return "bool";
    if (type == "int" || type == "float" || type == "duration" || type == "size" ||
        type == "percent")
      return "num";
    return "";
  }
  static std::string kindOf(const Json& v) {
    return v.is_string() ? "str" : v.is_boolean() ? "bool" : v.is_number() ? "num" : "";
  }

  // ---- values -------------------------------------------------------------------------------

  /// An operand: a path into the state (parameters, loop items, fields of metrics read from S3)
  /// or a literal.
  Operand operand(const ExprP& e, const std::string& range) {
    if (!e) unsupported(range, "a missing value");
    switch (e->kind) {
    case ExprKind::Lit:
      return {"", e->value, kindOf(e->value)};
    case ExprKind::Param: {
      auto* p = param(e->name);
      if (p && !plan::isArtifactType(p->type) && p->type.rfind("list<", 0) != 0)
        return {"$.params." + e->name, nullptr, kindOf(p->type)};
      break;
    }
    case ExprKind::Var:
      if (std::find(loops.begin(), loops.end(), e->name) != loops.end())
        return {"$.item." + e->name, nullptr, kindOf(loopType[e->name])};
      break;
    case ExprKind::Field: {
      std::string path = e->name;
      ExprP of = e->of;
      while (of && of->kind == ExprKind::Field) {
        path = of->name + "." + path;
        of = of->of;
      }
      if (of && of->kind == ExprKind::Ref && !of->output && !of->lifted && picks.count(of->name) &&
          !picks[of->name].item) {
        auto& pk = picks[of->name];
        auto* o = outputOf(pk.call, pk.output);
        if (o && o->isMetrics()) {
          std::string type;
          if (o->fields)
            for (auto& [f, t] : *o->fields)
              if (f == path) type = t;
          return {pickPath(of->name) + ".metrics." + metricsKey(stateName(pk.call), pk.output) +
                      ".value." + path,
                  nullptr, kindOf(type)};
        }
      }
      if (std::string f = indexedFor(of); !f.empty()) {
        auto* o = outputOf(of->of->name, *of->of->output);
        if (o && o->isMetrics()) {
          std::string type;
          if (o->fields)
            for (auto& [fd, t] : *o->fields)
              if (fd == path) type = t;
          return {"$.loops." + stateName(f) + "[" +
                      plan::commandText(*constantValue(plan, of->index, nullptr), "int") +
                      "].metrics." + metricsKey(stateName(of->of->name), *of->of->output) +
                      ".value." + path,
                  nullptr, kindOf(type)};
        }
      }
      if (of && of->kind == ExprKind::Ref && of->output && !of->lifted) {
        auto* o = outputOf(of->name, *of->output);
        if (o && o->isMetrics()) {
          std::string type;
          if (o->fields)
            for (auto& [f, t] : *o->fields)
              if (f == path) type = t;
          return {"$.metrics." + metricsKey(stateName(of->name), *of->output) + ".value." + path,
                  nullptr, kindOf(type)};
        }
      }
      break;
    }
    case ExprKind::Ref:
      if (computed.count(e->name) && !e->lifted && !e->output)
        return {"$.metrics." + metricsKey(stateName(e->name), "value") + ".value", nullptr,
                kindOf(nodeOf[e->name]->as<plan::ValueNode>()->type)};
      if (auto it = picks.find(e->name); it != picks.end() && it->second.item && !e->lifted) {
        auto* p = param(it->second.forNode->as<plan::ForNode>()->over->name);
        std::string t = p ? p->type.substr(5, p->type.size() - 6) : "";
        return {pickPath(e->name) + ".item", nullptr, kindOf(t)};
      }
      if (const plan::ValueNode* v = valueNode(*e)) return operand(v->value, range);
      break;
    default:
      break;
    }
    if (auto k = constantValue(plan, e, nullptr); k && !mentions(*e, ExprKind::Param))
      return {"", *k, kindOf(*k)};
    unsupported(range, "`" + text(e) +
                           "` as a value (only literals, parameters, loop variables, fields of a "
                           "step's metrics and text made of them)");
  }

  /// A value as text (a command argument, an environment variable, a message, a tag).
  Text textOf(const ExprP& e, const std::string& type, const std::string& range) {
    Text t;
    if (e && e->kind == ExprKind::Interp) {
      for (auto& p : e->parts) {
        if (p.expr)
          t.append(textOf(p.expr, p.type, range));
        else
          t.text(p.text);
      }
      return t;
    }
    if (e && e->kind == ExprKind::Ref && !picks.count(e->name))
      if (const plan::ValueNode* v = valueNode(*e)) return textOf(v->value, type, range);
    if (e && e->kind == ExprKind::Call && e->name == "len" && e->named.size() == 1 &&
        e->named[0].value && e->named[0].value->kind == ExprKind::Param &&
        param(e->named[0].value->name) &&
        param(e->named[0].value->name)->type.rfind("list<", 0) == 0) {
      t.path("States.ArrayLength($.params." + e->named[0].value->name + ")");
      return t;
    }
    Operand o = operand(e, range);
    if (o.path.empty()) {
      if (o.lit.is_array() || o.lit.is_object())
        unsupported(range, "the list `" + text(e) + "` as text");
      t.text(plan::commandText(o.lit, type));
    } else {
      t.path(o.path);
    }
    return t;
  }

  static bool mentions(const Expr& e, ExprKind k) {
    if (e.kind == k) return true;
    for (auto& i : e.items)
      if (i && mentions(*i, k)) return true;
    return false;
  }

  // ---- conditions -----------------------------------------------------------------------------

  /// A Choice rule (without Next) for the condition.
  Json rule(const ExprP& e, const std::string& range) {
    if (e && e->kind == ExprKind::Ref)
      if (const plan::ValueNode* v = valueNode(*e)) return rule(v->value, range);
    if (e && e->kind == ExprKind::Op) {
      if (e->name == "not" && e->items.size() == 1) return {{"Not", rule(e->items[0], range)}};
      if ((e->name == "and" || e->name == "or") && e->items.size() == 2) {
        Json list = Json::array();
        for (auto& i : e->items) {
          Json r = rule(i, range);
          const char* same = e->name == "and" ? "And" : "Or";
          if (r.contains(same)) // flatten (a and b) and c
            for (auto& x : r.at(same))
              list.push_back(x);
          else
            list.push_back(r);
        }
        return {{e->name == "and" ? "And" : "Or", list}};
      }
      static const std::map<std::string, std::pair<std::string, std::string>> ops = {
          {">=", {"GreaterThanEquals", "LessThanEquals"}},
          {">", {"GreaterThan", "LessThan"}},
          {"<", {"LessThan", "GreaterThan"}},
          {"<=", {"LessThanEquals", "GreaterThanEquals"}},
          {"==", {"Equals", "Equals"}},
          {"!=", {"Equals", "Equals"}}};
      if (auto it = ops.find(e->name); it != ops.end() && e->items.size() == 2) {
        Operand a = operand(e->items[0], range), b = operand(e->items[1], range);
        std::string op = it->second.first;
        if (a.path.empty() && !b.path.empty()) { // 0.5 < x  ==  x > 0.5
          std::swap(a, b);
          op = it->second.second;
        }
        if (a.path.empty())
          unsupported(range, "the condition `" + text(e) + "` (it compares two constants)");
        std::string kind = !a.type.empty() ? a.type : !b.type.empty() ? b.type : "num";
        std::string prefix = kind == "str" ? "String" : kind == "bool" ? "Boolean" : "Numeric";
        if (kind == "bool" && op != "Equals")
          unsupported(range, "the condition `" + text(e) + "` (booleans are only equal or not)");
        Json r = {{"Variable", a.path}};
        if (b.path.empty()) {
          if (kindOf(b.lit) != kind && !(kind == "num" && b.lit.is_number()))
            unsupported(range, "the condition `" + text(e) + "` (it compares different types)");
          r[prefix + op] = b.lit;
        } else {
          r[prefix + op + "Path"] = b.path;
        }
        if (e->name == "!=") return {{"Not", r}};
        return r;
      }
    }
    Operand o = operand(e, range);
    if (!o.path.empty() && o.type == "bool") return {{"Variable", o.path}, {"BooleanEquals", true}};
    unsupported(range, "the condition `" + text(e) +
                           "` (only comparisons, booleans, and `and`, `or`, `not` over them)");
  }

  // ---- states ---------------------------------------------------------------------------------

  using States = std::vector<std::pair<std::string, Json>>;

  void checkPayload(const Json& staticInput, const std::string& what, const std::string& range) {
    size_t bytes = plan::dump(staticInput).size();
    if (bytes > kMaxPayloadBytes)
      unsupported(range, what + ": it is " + std::to_string(bytes) +
                             " bytes of JSON in the state, over the 262,144 bytes (256 KiB) a "
                             "state's input or output may hold (" +
                             kDoc + ", Limits)");
  }

  double number(const Json& v, const std::string& what, const std::string& range) {
    if (!v.is_number()) throw Unsupported(range, "`" + what + "` is not a number");
    return v.get<double>();
  }

  /// A processing job's input: the S3 prefix `uri` downloaded to kInputRoot/NAME.
  static Json s3Input(const std::string& name, const Text& uri) {
    Json s3 = {{"LocalPath", kInputRoot + name},
               {"S3DataType", "S3Prefix"},
               {"S3InputMode", "File"},
               {"S3DataDistributionType", "FullyReplicated"}};
    uri.setIn(s3, "S3Uri");
    return {{"InputName", name}, {"AppManaged", false}, {"S3Input", s3}};
  }
  /// A processing job's output `out` of node `id`, uploaded from kOutputRoot/OUT to outputUri.
  Json s3Output(const std::string& id, const std::string& out) {
    Json s3 = Json::object();
    outputUri(id, out).setIn(s3, "S3Uri");
    s3["LocalPath"] = kOutputRoot + out;
    s3["S3UploadMode"] = "EndOfJob";
    return {{"OutputName", out}, {"AppManaged", false}, {"S3Output", s3}};
  }
  /// Where an artifact downloaded to `dir` is in the job: the directory of a `Dir` output, else
  /// the file named after the output in it.
  std::string artifactPath(const ExprP& v, const std::string& dir) {
    const plan::StepOutput* o = artifactOutput(v);
    return o && o->type == "Dir" ? dir : dir + "/" + artifactName(v);
  }

  /// The first Parameters of CreateProcessingJob for state `state`: a job name unique per
  /// execution, the role, one instance of `instance` and the container running `script` (as
  /// the sagemaker target does: `eval "$*"` of the pieces; a script of several lines has `\`
  /// and newlines escaped as `\\` and `\n`, since the ASL validator's schema takes no newline
  /// in an array item, and `printf '%b'` turns them back, the `x` keeping trailing newlines).
  Json jobParameters(const std::string& state, const std::string& instance,
                     const std::string& image, std::string script, const std::string& step,
                     const std::string& range) {
    std::string evalScript = "eval \"$*\"";
    if (script.find('\n') != std::string::npos) {
      std::string escaped;
      for (char ch : script)
        escaped += ch == '\\' ? "\\\\" : ch == '\n' ? "\\n" : std::string(1, ch);
      script = escaped;
      evalScript = "s=$(printf '%bx' \"$*\"); eval \"${s%x}\"";
    }
    Json args = containerArguments(script, step, range, kTitle, kDoc);
    std::string jobPrefix;
    for (char ch : state)
      jobPrefix += ch == '_' ? '-' : ch;
    if (jobPrefix.size() > kJobNamePrefix) jobPrefix.resize(kJobNamePrefix);
    while (!jobPrefix.empty() && jobPrefix.back() == '-')
      jobPrefix.pop_back();
    return {{"ProcessingJobName.$", "States.Format('" + jobPrefix + "-{}', States.UUID())"},
            {"RoleArn.$", std::string("$.params.") + kRoleParam},
            {"ProcessingResources",
             {{"ClusterConfig",
               {{"InstanceType", instance}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}}}},
            {"AppSpecification",
             {{"ImageUri", image},
              {"ContainerEntrypoint", Json::array({"/bin/sh", "-c", evalScript, "mlpc-step"})},
              {"ContainerArguments", args}}}};
  }

  /// A processing job for a call, then a read of each metrics output. Returns the first state.
  std::string callStates(const Node& n, const plan::CallNode& c, const std::string& next,
                         States& out) {
    const plan::StepDef* def = plan.steps.find(c.step);
    if (!def) unsupported(n.range, "a call of an unknown step `" + c.step + "`");
    std::string name = stateName(n.id);
    Json inputs = Json::array(), env = Json::object();
    std::set<std::string> declared;
    auto argOf = [&](const std::string& p) { return callArg(c, p); };
    auto typeOf = [&](const std::string& p) { return paramType(*def, p); };
    auto srcPath = [&](const std::string& path) { return imagePath(opt, path); };
    auto outPath = [&](const plan::StepOutput& o) {
      std::string dir = kOutputRoot + o.name;
      return o.type == "Dir" ? dir : dir + "/" + o.name;
    };
    std::function<std::string(const ExprP&, const std::string&, bool)> part =
        [&](const ExprP& e, const std::string& type, bool quote) -> std::string {
      auto q = [&](const std::string& s) { return quote ? shellQuote(s) : s; };
      if (e && e->kind == ExprKind::Out) {
        const plan::StepOutput* o = def->output(e->name);
        return q(o ? outPath(*o) : kOutputRoot + e->name);
      }
      if (e && e->kind == ExprKind::Arg) {
        const plan::NamedExpr* a = argOf(e->name);
        std::string ptype = typeOf(e->name);
        if (!a || !a->value) unsupported(n.range, "an argument `" + e->name + "` with no value");
        const ExprP& v = a->value;
        if (plan::isArtifactType(ptype)) {
          if (auto uri = artifactUri(v)) {
            std::string dir = kInputRoot + e->name;
            if (declared.insert("a:" + e->name).second) inputs.push_back(s3Input(e->name, *uri));
            return q(artifactPath(v, dir));
          }
          if (v->kind == ExprKind::Data && plan.data.find(v->name))
            return q(srcPath(plan.data.find(v->name)->path));
          if (v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
              param(v->name)->source()->path.rfind('/', 0) != 0)
            return q(srcPath(param(v->name)->source()->path));
          if (v->kind == ExprKind::Ref && v->lifted)
            unsupported(n.range, "`" + text(v) +
                                     "`, the list of a `for` loop's artifacts, as "
                                     "a step argument");
          unsupported(n.range, "the artifact argument `" + e->name + " = " + text(v) + "`");
        }
        if (ptype.rfind("list<", 0) == 0) {
          // A list parameter: its JSON text, as `mlpc run` writes a list in a command.
          if (v->kind == ExprKind::Param && param(v->name) &&
              param(v->name)->type.rfind("list<", 0) == 0) {
            std::string var = "MLP_ARG_" + e->name;
            env[var + ".$"] = "States.JsonToString($.params." + v->name + ")";
            return quote ? "\"$" + var + "\"" : "$" + var;
          }
          auto k = constantValue(plan, v, nullptr);
          if (!k || mentions(*v, ExprKind::Param))
            unsupported(n.range,
                        "the list argument `" + e->name + " = " + text(v) + "` in a command");
          return q(plan::commandText(*k, ptype));
        }
        Text t = textOf(v, ptype, n.range);
        if (!t.dynamic()) return q(t.raw);
        std::string var = "MLP_ARG_" + e->name;
        t.setIn(env, var);
        return quote ? "\"$" + var + "\"" : "$" + var;
      }
      if (auto k = constantValue(plan, e, &c.args)) return q(plan::commandText(*k, type));
      unsupported(def->range, "`${" + text(e) + "}` in the command of step `" + def->name + "`");
    };
    std::string command;
    if (def->run) {
      if (auto lit = def->run->literalString())
        command = *lit;
      else
        for (auto& p : def->run->parts)
          command += p.expr ? part(p.expr, p.type, true) : p.text;
    }
    for (auto& e : def->env) {
      if (!e.value) continue;
      if (auto lit = e.value->literalString()) {
        env[e.name] = *lit;
        continue;
      }
      Text t;
      for (auto& p : e.value->parts) {
        if (!p.expr)
          t.text(p.text);
        else if (p.expr->kind == ExprKind::Arg && argOf(p.expr->name) &&
                 !plan::isArtifactType(typeOf(p.expr->name)) &&
                 typeOf(p.expr->name).rfind("list<", 0) != 0)
          t.append(textOf(argOf(p.expr->name)->value, typeOf(p.expr->name), n.range));
        else
          t.text(part(p.expr, p.type, false));
      }
      t.setIn(env, e.name);
    }
    std::string image = opt.image;
    if (def->image) {
      auto v = constantValue(plan, def->image, &c.args);
      if (!v || !v->is_string())
        unsupported(def->range, "the image of step `" + def->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    std::string script = "cd " + shellQuote(srcPath(def->dir)) + " && " + command;
    if (inputs.size() > kMaxProcessingInputs)
      unsupported(n.range, "step `" + def->name + "` with " + std::to_string(inputs.size()) +
                               " inputs from other steps: a processing job takes at most 10 "
                               "ProcessingInputs (" +
                               kDoc + ", Limits)");
    std::string instance =
        instanceType(plan, *def, c.args, n.range, kTitle, "docs/export/sagemaker.md");

    Json outputs = Json::array();
    for (auto& o : def->outputs)
      outputs.push_back(s3Output(n.id, o.name));
    Json a = jobParameters(name, instance, image, script, def->name, n.range);
    if (!env.empty()) a["Environment"] = env;
    if (!inputs.empty()) a["ProcessingInputs"] = inputs;
    if (!outputs.empty()) a["ProcessingOutputConfig"] = {{"Outputs", outputs}};
    Json timeout = propertyValue(plan, def->timeoutS, c.args, "timeout", n.range);
    if (!timeout.is_null()) {
      double t = std::ceil(number(timeout, "timeout", n.range));
      if (t > kMaxRuntimeS)
        unsupported(n.range, "the timeout of step `" + def->name + "` (" +
                                 plan::commandText(Json(t), "int") +
                                 " s): a processing job runs at most 777600 s (9 days)");
      a["StoppingCondition"] = {{"MaxRuntimeInSeconds", static_cast<long long>(t)}};
    }
    checkPayload(a, "the call of step `" + def->name + "`", n.range);

    // The metrics outputs, read back from S3 into the state after the job.
    std::vector<std::pair<std::string, Json>> reads;
    for (auto& o : def->outputs) {
      if (!o.isMetrics()) continue;
      std::string rname = names.name(n.id + "#read:" + o.name, "s", name + "_read_" + o.name);
      Json p = {{"Bucket", bucket}};
      outputKey(n.id, o.name, o.type == "Dir" ? "" : o.name).setIn(p, "Key");
      if (!reads.empty()) reads.back().second["Next"] = rname;
      reads.push_back({rname,
                       {{"Type", "Task"},
                        {"Resource", "arn:aws:states:::aws-sdk:s3:getObject"},
                        {"Parameters", p},
                        {"ResultSelector", {{"value.$", "States.StringToJson($.Body)"}}},
                        {"ResultPath", "$.metrics." + metricsKey(name, o.name)}}});
    }
    if (!reads.empty()) reads.back().second["Next"] = next;
    Json task = {{"Type", "Task"},
                 {"Resource", "arn:aws:states:::sagemaker:createProcessingJob.sync"},
                 {"Parameters", a},
                 {"ResultPath", nullptr}};
    double attempts =
        number(propertyValue(plan, def->retry.attempts, c.args, "retry.attempts", n.range),
               "retry.attempts", n.range);
    if (attempts > 1) {
      double backoff =
          number(propertyValue(plan, def->retry.backoffS, c.args, "retry.backoff", n.range),
                 "retry.backoff", n.range);
      task["Retry"] =
          Json::array({{{"ErrorEquals", Json::array({"States.TaskFailed"})},
                        {"IntervalSeconds", std::max(1LL, std::llround(std::ceil(backoff)))},
                        {"MaxAttempts", static_cast<long long>(attempts - 1)},
                        {"BackoffRate", 1.0}}});
    }
    task["Next"] = reads.empty() ? next : reads.front().first;
    out.push_back({name, task});
    for (auto& r : reads)
      out.push_back(r);
    return name;
  }

  /// Python for a computed binding's job: run-time values come in as environment variables
  /// (`env`: MLP_V0…, set with States.Format from the state), read by `v` as JSON (text as it is).
  std::string pyExpr(const Node& n, const ExprP& e, Json& env) {
    auto fail = [&]() -> std::string {
      unsupported(n.range, "the computed binding `" + n.id + " = " +
                               text(n.as<plan::ValueNode>()->value) + "`: `" + text(e) +
                               "` cannot be computed by a job (only literals, parameters, loop "
                               "variables, fields of metrics, `len` and operators on them)");
    };
    if (!e) return fail();
    auto var = [&](const std::string& path, bool isText) {
      std::string name = "MLP_V" + std::to_string(env.size());
      env[name + ".$"] = "States.Format('{}', " + path + ")";
      return std::string(isText ? "os.environ[" : "v(") + Json(name).dump() + (isText ? "]" : ")");
    };
    switch (e->kind) {
    case ExprKind::Op: {
      static const std::map<std::string, std::string> ops = {
          {"and", "and"}, {"or", "or"}, {"+", "+"}, {"-", "-"},   {"*", "*"},   {"/", "/"},
          {"<", "<"},     {"<=", "<="}, {">", ">"}, {">=", ">="}, {"==", "=="}, {"!=", "!="}};
      if (e->items.size() == 1 && (e->name == "not" || e->name == "neg"))
        return std::string(e->name == "not" ? "not " : "-") + "(" + pyExpr(n, e->items[0], env) +
               ")";
      auto it = ops.find(e->name);
      if (it != ops.end() && e->items.size() == 2) {
        // In order, so that the environment variables are numbered left to right.
        std::string a = pyExpr(n, e->items[0], env);
        std::string b = pyExpr(n, e->items[1], env);
        return "(" + a + " " + it->second + " " + b + ")";
      }
      return fail();
    }
    case ExprKind::Call:
      if (e->name == "len" && e->named.size() == 1) return pyLength(n, e->named[0].value, env);
      break;
    case ExprKind::Ref:
      if (const plan::ValueNode* v = valueNode(*e); v && !picks.count(e->name))
        return "(" + pyExpr(n, v->value, env) + ")";
      break;
    default:
      break;
    }
    if (auto k = foldedValue(plan, e, nullptr); k && !mentions(*e, ExprKind::Param)) {
      if (k->is_boolean()) return k->get<bool>() ? "True" : "False";
      if (k->is_number() || k->is_string()) return k->dump();
      return fail();
    }
    Operand o = operand(e, n.range);
    if (o.path.empty())
      return o.lit.is_boolean() ? (o.lit.get<bool>() ? "True" : "False") : o.lit.dump();
    return var(o.path, o.type == "str");
  }

  /// `len(l)` in a computed binding: of a list parameter, a `range(n)`, a literal, or a loop's
  /// results (the length of the list of the outermost loop it is lifted over).
  std::string pyLength(const Node& n, const ExprP& l, Json& env) {
    if (l && l->kind == ExprKind::Param && param(l->name) &&
        param(l->name)->type.rfind("list<", 0) == 0) {
      std::string name = "MLP_V" + std::to_string(env.size());
      env[name + ".$"] = "States.Format('{}', States.ArrayLength($.params." + l->name + "))";
      return "v(" + Json(name).dump() + ")";
    }
    if (l && l->kind == ExprKind::Call && l->name == "range" && l->named.size() == 1)
      return "len(range(" + pyExpr(n, l->named[0].value, env) + "))";
    if (l && l->kind == ExprKind::Ref && l->lifted) {
      auto& fors = forsOf[l->name];
      if (fors.size() >= static_cast<size_t>(*l->lifted))
        return pyLength(
            n, fors[fors.size() - static_cast<size_t>(*l->lifted)]->as<plan::ForNode>()->over, env);
    }
    if (auto k = foldedValue(plan, l, nullptr);
        k && k->is_array() && !mentions(*l, ExprKind::Param))
      return std::to_string(k->size());
    unsupported(n.range, "`len(" + text(l) + ")` in the computed binding `" + n.id + "`");
  }

  /// A computed binding (`computed`): a processing job (`--image`, with python3) evaluates it
  /// and writes its JSON to its output `value`, which a getObject reads into the state.
  std::string computeStates(const Node& n, const plan::ValueNode& v, const std::string& next,
                            States& out) {
    Json env = Json::object();
    std::string expr = pyExpr(n, v.value, env);
    std::string dir = std::string(kOutputRoot) + "value";
    std::string script = "import json\nimport os\n\n\ndef v(name):\n"
                         "    text = os.environ[name]\n"
                         "    try:\n"
                         "        return json.loads(text)\n"
                         "    except ValueError:\n"
                         "        return text\n\n\n"
                         "value = " +
                         expr + "\nos.makedirs(" + Json(dir).dump() + ", exist_ok=True)\n" +
                         "with open(" + Json(dir + "/value").dump() + ", \"w\") as f:\n" +
                         "    json.dump(value, f)\n";
    std::string name = stateName(n.id);
    Json a = jobParameters(name, "ml.m5.large", opt.image,
                           "/usr/bin/python3 -c " + shellQuote(script), n.id, n.range);
    if (!env.empty()) a["Environment"] = env;
    a["ProcessingOutputConfig"] = {{"Outputs", Json::array({s3Output(n.id, "value")})}};
    checkPayload(a, "the computed binding `" + n.id + "`", n.range);
    std::string read = names.name(n.id + "#read:value", "s", name + "_read_value");
    Json p = {{"Bucket", bucket}};
    outputKey(n.id, "value", "value").setIn(p, "Key");
    out.push_back({name,
                   {{"Type", "Task"},
                    {"Resource", "arn:aws:states:::sagemaker:createProcessingJob.sync"},
                    {"Parameters", a},
                    {"ResultPath", nullptr},
                    {"Next", read}}});
    out.push_back({read,
                   {{"Type", "Task"},
                    {"Resource", "arn:aws:states:::aws-sdk:s3:getObject"},
                    {"Parameters", p},
                    {"ResultSelector", {{"value.$", "States.StringToJson($.Body)"}}},
                    {"ResultPath", "$.metrics." + metricsKey(name, "value")},
                    {"Next", next}}});
    return name;
  }

  /// Batch inference: a processing job in the server's image (or `--image`) runs the stdlib's
  /// shard driver, which starts the server in the job on a local port and posts it every row;
  /// the predictions are the job's output `predictions`, as for the sagemaker target.
  std::string transformState(const Node& n, const plan::TransformNode& t, const std::string& next,
                             States& out) {
    const plan::StepDef* server = plan.servers.find(t.server);
    if (!server) unsupported(n.range, "a transform through an unknown server `" + t.server + "`");
    Json inputs = Json::array();
    auto artifact = [&](const ExprP& v, const std::string& input) -> std::string {
      if (auto uri = artifactUri(v)) {
        inputs.push_back(s3Input(input, *uri));
        return artifactPath(v, kInputRoot + input);
      }
      if (v && v->kind == ExprKind::Data && plan.data.find(v->name))
        return imagePath(opt, plan.data.find(v->name)->path);
      if (v && v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
          param(v->name)->source()->path.rfind('/', 0) != 0)
        return imagePath(opt, param(v->name)->source()->path);
      unsupported(n.range, "the " + input + " `" + text(v) + "` of a batch inference");
    };
    std::string model = artifact(t.model, "model");
    std::string data = artifact(t.data, "data");
    std::string run =
        serverTemplate(plan, *server, server->run, model, kTransformPort, true, kTitle, n.range);
    bool join = transformJoinSource(plan, t, kTitle, n.range);
    std::string dir = std::string(kOutputRoot) + "predictions";
    std::string script =
        "mkdir -p " + dir + " && cd " + shellQuote(imagePath(opt, server->dir)) + " && " +
        transformCommand(*server, t, imagePath(opt, "@stdlib/std/sklearn/transform_shard.py"), run,
                         kTransformPort, join, data, dir + "/predictions");
    std::string image = opt.image;
    if (server->image) {
      auto v = foldedValue(plan, server->image, nullptr);
      if (!v || !v->is_string())
        unsupported(server->range,
                    "the image of server `" + server->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    std::string name = stateName(n.id);
    Json a = jobParameters(name, "ml.m5.large", image, script, server->name, n.range);
    Json env = Json::object();
    for (auto& e : server->env)
      env[e.name] =
          serverTemplate(plan, *server, e.value, model, kTransformPort, false, kTitle, n.range);
    if (!env.empty()) a["Environment"] = env;
    if (!inputs.empty()) a["ProcessingInputs"] = inputs;
    a["ProcessingOutputConfig"] = {{"Outputs", Json::array({s3Output(n.id, "predictions")})}};
    checkPayload(a, "the batch inference `" + n.id + "`", n.range);
    out.push_back({name,
                   {{"Type", "Task"},
                    {"Resource", "arn:aws:states:::sagemaker:createProcessingJob.sync"},
                    {"Parameters", a},
                    {"ResultPath", nullptr},
                    {"Next", next}}});
    return name;
  }

  std::string registerState(const Node& n, const plan::RegisterNode& r, const std::string& next,
                            States& out) {
    const ExprP& m = r.model;
    std::optional<Text> modelUri = artifactUri(m);
    if (!modelUri)
      unsupported(n.range, "registering `" + text(m) + "` (only a step's model output)");
    const plan::ModelGroup* g = plan.models.find(r.group);
    std::string image = opt.image;
    if (g && g->serve)
      if (const plan::StepDef* s = plan.servers.find(*g->serve); s && s->image)
        if (auto v = constantValue(plan, s->image, nullptr); v && v->is_string())
          image = v->get<std::string>();
    NameAllocator groupName(false, '-', 63);
    Json container = {{"Image", image}};
    modelUri->setIn(container, "ModelDataUrl");
    Json a = {
        {"ModelPackageGroupName", groupName.name(r.group, "g")},
        {"ModelApprovalStatus", g && g->approval == "auto" ? "Approved" : "PendingManualApproval"},
        {"InferenceSpecification",
         {{"Containers", Json::array({container})},
          {"SupportedContentTypes", Json::array({"text/csv"})},
          {"SupportedResponseMIMETypes", Json::array({"text/csv"})}}}};
    if (r.metrics) {
      const ExprP& x = r.metrics;
      std::optional<Text> uri = artifactUri(x);
      if (!uri)
        unsupported(n.range, "the metrics `" + text(x) +
                                 "` of a registration (only a step's "
                                 "metrics output)");
      Json stats = {{"ContentType", "application/json"}};
      uri->setIn(stats, "S3Uri");
      a["ModelMetrics"] = {{"ModelQuality", {{"Statistics", stats}}}};
    }
    if (!r.tags.empty()) {
      Json props = Json::object();
      for (auto& t : r.tags)
        textOf(t.value, "string", n.range).setIn(props, t.name);
      a["CustomerMetadataProperties"] = props;
    }
    checkPayload(a, "the registration in `" + r.group + "`", n.range);
    std::string name = stateName(n.id);
    out.push_back({name,
                   {{"Type", "Task"},
                    {"Resource", "arn:aws:states:::aws-sdk:sagemaker:createModelPackage"},
                    {"Parameters", a},
                    {"ResultPath", nullptr},
                    {"Next", next}}});
    return name;
  }

  std::string failState(const Node& n, const plan::FailNode& f, States& out) {
    Text t = textOf(f.message, "string", n.range);
    Json st = {{"Type", "Fail"}, {"Error", "MlpcFail"}};
    if (t.dynamic())
      st["CausePath"] = t.format();
    else
      st["Cause"] = t.raw;
    std::string name = stateName(n.id);
    out.push_back({name, st});
    return name;
  }

  /// The states of a node list, each leading to the next and the last to `next`; returns the
  /// first state's name (`next` when the list makes none). States are added last to first.
  std::string chain(const std::vector<Node>& nodes, const std::string& next, States& out) {
    // Each node's successor first (no state is made yet), then the states in source order, so
    // that the first construct that cannot be expressed is the one reported.
    std::vector<std::string> nexts(nodes.size() + 1);
    nexts[nodes.size()] = next;
    for (size_t i = nodes.size(); i-- > 0;)
      nexts[i] = entry(nodes[i], nexts[i + 1]);
    for (size_t i = 0; i < nodes.size(); ++i)
      node(nodes[i], nexts[i + 1], out);
    return nexts[0];
  }

  /// The first state of a node's states (`next` for a node that makes none).
  std::string entry(const Node& n, const std::string& next) {
    if (n.kind() == plan::NodeKind::Value) {
      if (auto it = picks.find(n.id); it != picks.end() && !it->second.nest.empty())
        return names.name(n.id + "#flatten", "s", stateName(n.id) + "_flatten");
      return picks.count(n.id) || computed.count(n.id) ? stateName(n.id) : next;
    }
    if (auto* c = n.as<plan::IfNode>())
      if (auto k = constantCondition(*c)) {
        std::string after = next;
        const auto& branch = *k ? c->then : c->otherwise;
        for (auto it = branch.rbegin(); it != branch.rend(); ++it)
          after = entry(*it, after);
        return after;
      }
    if (auto* f = n.as<plan::ForNode>(); f && rangeParam(*f)) return rangeState(n);
    return stateName(n.id);
  }

  std::optional<bool> constantCondition(const plan::IfNode& c) {
    if (auto k = constantValue(plan, c.cond, nullptr);
        k && k->is_boolean() && !mentions(*c.cond, ExprKind::Param))
      return k->get<bool>();
    return std::nullopt;
  }

  std::string node(const Node& n, const std::string& next, States& out) {
    switch (n.kind()) {
    case plan::NodeKind::Call:
      return callStates(n, *n.as<plan::CallNode>(), next, out);
    case plan::NodeKind::Register:
      return registerState(n, *n.as<plan::RegisterNode>(), next, out);
    case plan::NodeKind::Fail:
      return failState(n, *n.as<plan::FailNode>(), out);
    case plan::NodeKind::Value: {
      if (picks.count(n.id)) return pickStates(n, next, out);
      if (computed.count(n.id)) return computeStates(n, *n.as<plan::ValueNode>(), next, out);
      auto* v = n.as<plan::ValueNode>();
      if (v->value && v->value->kind == ExprKind::Call) {
        if (v->value->name == "argmax" || v->value->name == "argmin")
          unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                   "` (states pick only among the iterations of a top-level "
                                   "`for`: `" +
                                   v->value->name +
                                   "(xs, s.field)` with `s` a metrics output of a call in its "
                                   "body and `xs` an output of such a call or the loop's list "
                                   "parameter)");
        unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                 "` (no state computes this builtin without a Lambda function)");
      }
      return next; // written out where it is used
    }
    case plan::NodeKind::Transform:
      return transformState(n, *n.as<plan::TransformNode>(), next, out);
    case plan::NodeKind::For:
      return mapState(n, *n.as<plan::ForNode>(), next, out);
    case plan::NodeKind::If: {
      auto& c = *n.as<plan::IfNode>();
      if (auto k = constantCondition(c)) return chain(*k ? c.then : c.otherwise, next, out);
      Json r = rule(c.cond, n.range);
      std::string name = stateName(n.id);
      out.push_back({name, nullptr});
      size_t at = out.size() - 1;
      r["Next"] = chain(c.then, next, out);
      std::string elseStart = chain(c.otherwise, next, out);
      out[at].second = {{"Type", "Choice"}, {"Choices", Json::array({r})}, {"Default", elseStart}};
      return name;
    }
    }
    return next;
  }

  /// The loop of states that picks the best iteration of a `for` (Pick): like `mlpc run`, the
  /// first of the best scores wins and iterations without a numeric score are skipped.
  std::string pickStates(const Node& n, const std::string& next, States& out) {
    const Pick& p = picks.at(n.id);
    std::string s = stateName(n.id);
    std::string list = "$.loops." + stateName(p.forNode->id);
    std::string first = s;
    if (!p.nest.empty()) {
      // Every iteration of the nest in one list, in `flatten`'s order: a JSONPath with one
      // `[*]` per loop gathers the kept results, outermost loop first.
      std::string all = list;
      for (size_t i = 1; i < p.nest.size(); ++i)
        all += "[*].results";
      first = names.name(n.id + "#flatten", "s", s + "_flatten");
      out.push_back({first,
                     {{"Type", "Pass"},
                      {"Parameters", {{"all.$", all + "[*]"}}},
                      {"ResultPath", "$.loops." + s},
                      {"Next", s}}});
      list = "$.loops." + s + ".all";
    }
    std::string at = "$.argmax." + s;
    auto nm = [&](const std::string& suffix) {
      return names.name(n.id + "#" + suffix, "s", s + "_" + suffix);
    };
    std::string loop = nm("loop"), get = nm("get"), cmp = nm("compare"), take = nm("take"),
                step = nm("next"), pick = nm("pick");
    std::string c = "$.argmax_candidate.c." + p.scorePath,
                b = "$.argmax_candidate.b." + p.scorePath;
    Json numeric = {{"Variable", c}, {"IsNumeric", true}};
    Json bNumeric = {{"Variable", b}, {"IsNumeric", true}};
    Json better = {{"Variable", c}, {p.min ? "NumericLessThanPath" : "NumericGreaterThanPath", b}};
    out.push_back(
        {s,
         {{"Type", "Pass"},
          {"Comment", std::string(p.min ? "argmin" : "argmax") + " over the results of " +
                          stateName(p.forNode->id)},
          {"Parameters", {{"i", 1}, {"best", 0}, {"n.$", "States.ArrayLength(" + list + ")"}}},
          {"ResultPath", at},
          {"Next", loop}}});
    out.push_back({loop,
                   {{"Type", "Choice"},
                    {"Choices", Json::array({{{"Variable", at + ".i"},
                                              {"NumericLessThanPath", at + ".n"},
                                              {"Next", get}}})},
                    {"Default", pick}}});
    out.push_back({get,
                   {{"Type", "Pass"},
                    {"Parameters",
                     {{"c.$", "States.ArrayGetItem(" + list + ", " + at + ".i)"},
                      {"b.$", "States.ArrayGetItem(" + list + ", " + at + ".best)"}}},
                    {"ResultPath", "$.argmax_candidate"},
                    {"Next", cmp}}});
    out.push_back(
        {cmp,
         {{"Type", "Choice"},
          {"Choices",
           Json::array({{{"Or", Json::array({{{"And", Json::array({numeric, {{"Not", bNumeric}}})}},
                                             {{"And", Json::array({numeric, bNumeric, better})}}})},
                         {"Next", take}}})},
          {"Default", step}}});
    out.push_back({take,
                   {{"Type", "Pass"},
                    {"Parameters", {{"i.$", at + ".i"}, {"best.$", at + ".i"}, {"n.$", at + ".n"}}},
                    {"ResultPath", at},
                    {"Next", step}}});
    out.push_back({step,
                   {{"Type", "Pass"},
                    {"Parameters",
                     {{"i.$", "States.MathAdd(" + at + ".i, 1)"},
                      {"best.$", at + ".best"},
                      {"n.$", at + ".n"}}},
                    {"ResultPath", at},
                    {"Next", loop}}});
    out.push_back(
        {pick,
         {{"Type", "Pass"},
          {"Parameters", {{"pick.$", "States.ArrayGetItem(" + list + ", " + at + ".best)"}}},
          {"ResultPath", at},
          {"Next", next}}});
    return first;
  }

  std::string mapState(const Node& n, const plan::ForNode& f, const std::string& next,
                       States& out) {
    std::string name = stateName(n.id);
    std::string items;
    std::string elemType;
    if (f.over && f.over->kind == ExprKind::Param && param(f.over->name) &&
        param(f.over->name)->type.rfind("list<", 0) == 0) {
      items = "$.params." + f.over->name;
      const std::string& t = param(f.over->name)->type;
      elemType = t.substr(5, t.size() - 6);
    } else if (const plan::PipelineParam* count = rangeParam(f)) {
      // `range(n)` of an int parameter: 0 … n-1 made when the state machine runs.
      if (count->value.is_number() && count->value.get<double>() > kMaxRangeItems)
        unsupported(n.range, "a `for` over `" + text(f.over) + "` of " +
                                 plan::commandText(count->value, "int") +
                                 " items: States.ArrayRange makes at most 1000 (" + kDoc +
                                 ", Limits)");
      items = "$.ranges." + name + ".items";
      elemType = "int";
    } else {
      std::optional<Json> list = constantValue(plan, f.over, nullptr);
      if (!list && !mentionsParam(f.over)) list = foldedValue(plan, f.over, nullptr);
      if (!list || !list->is_array())
        unsupported(n.range, "a `for` over `" + text(f.over) +
                                 "` (only a list parameter, `range(n)` of an int parameter or a "
                                 "list known at export)");
      checkPayload(*list, "the list of this `for`", n.range);
      constants[name] = *list;
      items = "$.const." + name;
      if (!list->empty()) elemType = kindOf((*list)[0]) == "str" ? "string" : "";
    }
    Json sel = {{"params.$", "$.params"}, {"metrics.$", "$.metrics"}, {"const.$", "$.const"}};
    Json item = Json::object(), index = Json::object();
    for (auto& v : loops) {
      item[v + ".$"] = "$.item." + v;
      index[v + ".$"] = "$.index." + v;
    }
    item[f.var + ".$"] = "$$.Map.Item.Value";
    index[f.var + ".$"] = "$$.Map.Item.Index";
    sel["item"] = item;
    sel["index"] = index;
    loops.push_back(f.var);
    loopType[f.var] = elemType;
    std::string done = names.name(n.id + "#done", "s", name + "_done");
    States body;
    std::string start = chain(f.body, done, body);
    if (writes(body, "$.ranges.")) sel["ranges"] = Json::object();
    if (writes(body, "$.loops.")) sel["loops"] = Json::object();
    if (collect.count(n.id) && collect[n.id] == "outer") {
      body.push_back({done,
                      {{"Type", "Pass"},
                       {"Parameters", {{"results.$", "$.loops." + stateName(innerFor(f)->id)}}},
                       {"End", true}}});
    } else if (collect.count(n.id)) {
      // Each iteration's result: its index, item and the metrics of the calls in the body,
      // for the argmax/argmin after the loop.
      Json metrics = Json::object();
      for (auto& b : f.body)
        if (auto* c = b.as<plan::CallNode>())
          if (const plan::StepDef* d = plan.steps.find(c->step))
            for (auto& o : d->outputs)
              if (o.isMetrics()) {
                std::string key = metricsKey(stateName(b.id), o.name);
                metrics[key + ".$"] = "$.metrics." + key;
              }
      body.push_back({done,
                      {{"Type", "Pass"},
                       {"Parameters",
                        {{"index.$", collect[n.id] == "nest" ? "$.index" : "$.index." + f.var},
                         {"item.$", collect[n.id] == "nest" ? "$.item" : "$.item." + f.var},
                         {"metrics", metrics}}},
                       {"End", true}}});
    } else {
      body.push_back({done, {{"Type", "Succeed"}}});
    }
    loops.pop_back();
    Json states = Json::object();
    for (auto& [k, v] : body)
      states[k] = v;
    size_t mapAt = out.size();
    out.push_back(
        {name,
         {{"Type", "Map"},
          {"ItemsPath", items},
          {"ItemSelector", sel},
          {"ItemProcessor",
           {{"ProcessorConfig", {{"Mode", "INLINE"}}}, {"StartAt", start}, {"States", states}}},
          {"ResultPath", collect.count(n.id) ? Json("$.loops." + name) : Json(nullptr)},
          {"Next", next}}});
    if (const plan::PipelineParam* count = rangeParam(f)) {
      // Before the Map: no Map for n < 1 (States.ArrayRange(0, -1, 1) is not an empty list),
      // else the list 0 … n-1 into $.ranges.FOR.
      std::string empty = next;
      if (collect.count(n.id)) {
        empty = names.name(n.id + "#empty", "s", name + "_empty");
        out.push_back({empty,
                       {{"Type", "Pass"},
                        {"Result", Json::array()},
                        {"ResultPath", "$.loops." + name},
                        {"Next", next}}});
      }
      std::string made = names.name(n.id + "#items", "s", name + "_items");
      States before;
      before.push_back({rangeState(n),
                        {{"Type", "Choice"},
                         {"Choices", Json::array({{{"Variable", "$.params." + count->name},
                                                   {"NumericGreaterThanEquals", 1},
                                                   {"Next", made}}})},
                         {"Default", empty}}});
      before.push_back({made,
                        {{"Type", "Pass"},
                         {"Parameters",
                          {{"items.$", "States.ArrayRange(0, States.MathAdd($.params." +
                                           count->name + ", -1), 1)"}}},
                         {"ResultPath", "$.ranges." + name},
                         {"Next", name}}});
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(mapAt), before.begin(), before.end());
      return rangeState(n);
    }
    return name;
  }

  /// The `for` directly in the body of `f` whose results it keeps ("outer" in `collect`).
  const Node* innerFor(const plan::ForNode& f) {
    for (auto& b : f.body)
      if (b.kind() == plan::NodeKind::For && collect.count(b.id)) return &b;
    return nullptr;
  }

  /// The int parameter `n` of a `for` over `range(n)`, or null.
  const plan::PipelineParam* rangeParam(const plan::ForNode& f) {
    const ExprP& o = f.over;
    if (!o || o->kind != ExprKind::Call || o->name != "range" || o->named.size() != 1 ||
        !o->named[0].value || o->named[0].value->kind != ExprKind::Param)
      return nullptr;
    const plan::PipelineParam* p = param(o->named[0].value->name);
    return p && p->type == "int" ? p : nullptr;
  }
  /// The first state of a `for` over `range(n)`: the Choice that skips it for n < 1.
  std::string rangeState(const Node& n) {
    return names.name(n.id + "#range", "s", stateName(n.id) + "_range");
  }
  /// Whether a state of `states` (not of a Map inside them) writes under `prefix`.
  static bool writes(const States& states, const std::string& prefix) {
    for (auto& [name, st] : states)
      if (auto it = st.find("ResultPath");
          it != st.end() && it->is_string() && it->get<std::string>().rfind(prefix, 0) == 0)
        return true;
    return false;
  }
  static bool mentionsParam(const ExprP& e) {
    if (!e) return false;
    if (e->kind == ExprKind::Param) return true;
    for (auto& i : e->items)
      if (mentionsParam(i)) return true;
    for (auto& a : e->named)
      if (mentionsParam(a.value)) return true;
    for (auto& p : e->parts)
      if (mentionsParam(p.expr)) return true;
    return mentionsParam(e->of) || mentionsParam(e->index);
  }

  // ---- history events -------------------------------------------------------------------------

  /// How many list items a `for` has at export (the parameter's value, or the literal).
  size_t itemCount(const plan::ForNode& f) {
    std::optional<Json> list;
    if (f.over && f.over->kind == ExprKind::Param)
      if (auto* p = param(f.over->name)) list = p->value;
    if (auto* count = rangeParam(f))
      return count->value.is_number()
                 ? static_cast<size_t>(std::max(0.0, count->value.get<double>()))
                 : 0;
    if (!list) list = constantValue(plan, f.over, nullptr);
    if (!list && !mentionsParam(f.over)) list = foldedValue(plan, f.over, nullptr);
    return list && list->is_array() ? list->size() : 0;
  }

  /// Events of a node list along its longest path (docs/export/stepfunctions.md, Limits).
  long long events(const std::vector<Node>& nodes) {
    long long total = 0;
    for (auto& n : nodes)
      total += events(n);
    return total;
  }
  long long events(const Node& n) {
    switch (n.kind()) {
    case plan::NodeKind::Call: {
      auto& c = *n.as<plan::CallNode>();
      const plan::StepDef* def = plan.steps.find(c.step);
      long long attempts = 1;
      if (def) {
        Json a = propertyValue(plan, def->retry.attempts, c.args, "retry.attempts", n.range);
        if (a.is_number()) attempts = std::max(1LL, std::llround(a.get<double>()));
      }
      long long metrics = 0;
      if (def)
        for (auto& o : def->outputs)
          if (o.isMetrics()) ++metrics;
      // Entered, then per attempt Scheduled, Started, Submitted, Succeeded|Failed, Exited;
      // each metrics read: Entered, Scheduled, Started, Succeeded, Exited.
      return 2 + 4 * attempts + 5 * metrics;
    }
    case plan::NodeKind::Register:
      return 5;
    case plan::NodeKind::Transform:
      return 2 + 4; // a processing job, one attempt

    case plan::NodeKind::Fail:
      return 2;
    case plan::NodeKind::For: {
      auto& f = *n.as<plan::ForNode>();
      // MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited; per item
      // MapIterationStarted, MapIterationSucceeded, the body and its Succeed (2).
      // `range(n)`: its Choice and Pass before, 2 each.
      return (rangeParam(f) ? 4 : 0) + 4 +
             static_cast<long long>(itemCount(f)) * (4 + events(f.body));
    }
    case plan::NodeKind::If: {
      auto& c = *n.as<plan::IfNode>();
      return 2 + std::max(events(c.then), events(c.otherwise));
    }
    case plan::NodeKind::Value:
      if (auto it = picks.find(n.id); it != picks.end()) {
        // The first Pass, the last Choice and Pass; per item Choice, Pass, Choice, Pass
        // (take) and Pass (next), 2 each.
        long long items = 1;
        if (it->second.nest.empty())
          items = static_cast<long long>(itemCount(*it->second.forNode->as<plan::ForNode>()));
        for (auto* f : it->second.nest)
          items *= static_cast<long long>(itemCount(*f->as<plan::ForNode>()));
        return (it->second.nest.empty() ? 6 : 8) + 10 * items; // 8: the flattening Pass too
      }
      return computed.count(n.id) ? 2 + 4 + 5 : 0; // a job, then its read
    default:
      return 0;
    }
  }

  void checkEvents() {
    // ExecutionStarted, the two Pass states, the Succeed state, ExecutionSucceeded.
    long long total = 2 + 4 + 2 + events(plan.nodes);
    if (total <= kMaxHistoryEvents) return;
    // Name the top-level construct that contributes most (a `for`, usually).
    const Node* worst = nullptr;
    long long most = 0;
    for (auto& n : plan.nodes)
      if (long long e = events(n); e > most) {
        most = e;
        worst = &n;
      }
    std::string what = "pipeline `" + plan.pipeline.name + "`";
    std::string range = plan.pipeline.range;
    if (worst && worst->kind() != plan::NodeKind::Call && most * 2 > total) {
      what = "this `" + std::string(worst->kindName()) + "`";
      range = worst->range;
    }
    unsupported(range, what + ": an execution would have about " + std::to_string(total) +
                           " history events, over the 25,000 of one Step Functions execution (" +
                           kDoc + ", Limits; a `for` counts its list at export)");
  }

  Json definition() {
    checkEvents();
    Json defaults = Json::object();
    for (auto& p : plan.pipeline.params) {
      if (plan::isArtifactType(p.type)) continue;
      // A whole duration, size or percent as an integer, so that States.Format writes it as
      // `mlpc run` does (300, not 300.0).
      if (p.value.is_number_float() && p.type != "float" &&
          std::floor(p.value.get<double>()) == p.value.get<double>() &&
          std::fabs(p.value.get<double>()) < 1e15)
        defaults[p.name] = static_cast<long long>(p.value.get<double>());
      else
        defaults[p.name] = p.value;
    }
    defaults[kRoleParam] = opt.roleArn;
    States top;
    std::string start = chain(plan.nodes, "Succeeded", top);
    top.push_back({"Succeeded", {{"Type", "Succeed"}}});
    std::string body = plan::dump(top);
    if (body.find(kBackslash) != std::string::npos) constants["_backslash"] = "\\";
    if (body.find(kNewline) != std::string::npos) constants["_newline"] = "\n";
    Json init = {{"params.$", "States.JsonMerge($.defaults, $.input, false)"},
                 {"metrics", Json::object()},
                 {"const", constants}};
    if (!picks.empty()) {
      init["loops"] = Json::object();
      init["argmax"] = Json::object();
    }
    if (writes(top, "$.ranges.")) init["ranges"] = Json::object();
    checkPayload({{"defaults", defaults}, {"const", constants}},
                 "pipeline `" + plan.pipeline.name + "`", plan.pipeline.range);
    Json states = Json::object();
    states["Defaults"] = {{"Type", "Pass"},
                          {"Comment", "the pipeline parameters' defaults, and the execution input"},
                          {"Parameters", {{"defaults", defaults}, {"input.$", "$"}}},
                          {"Next", "Init"}};
    states["Init"] = {{"Type", "Pass"},
                      {"Comment", "params: the defaults overridden by the execution input"},
                      {"Parameters", init},
                      {"Next", start}};
    for (auto& [k, v] : top)
      states[k] = v;
    Json doc = {{"Comment", "mlpc pipeline `" + plan.pipeline.name + "` from " + plan.entry +
                                " (mlpc " + plan.mlpcVersion + ")"},
                {"StartAt", "Defaults"},
                {"States", states}};
    return doc;
  }
};

} // namespace

Result exportStepFunctions(const plan::Plan& plan, const Options& options) {
  Result r;
  try {
    Sf s(plan, options);
    std::string text = plan::dump(s.definition());
    if (text.size() > kMaxDefinitionChars)
      throw Unsupported(plan.pipeline.range,
                        std::string(kTitle) + " cannot express pipeline `" + plan.pipeline.name +
                            "`: its definition is " + std::to_string(text.size()) +
                            " characters, over the 1,048,576 of a state machine (" + kDoc +
                            ", Limits)");
    r.text = text;
  } catch (const Unsupported& u) {
    r.problems.push_back({u.range, u.what()});
  }
  return r;
}

} // namespace mlpc::exporter
