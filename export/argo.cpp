// Argo Workflows: a `Workflow` whose entry template is a DAG, one container template per step
// call (docs/export/argo.md has the mapping and what cannot be expressed).
#include "export/support.h"

#include "mlpc/version.h"
#include "plan/expr_text.h"
#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

namespace mlpc::exporter {

namespace {

using plan::Expr;
using plan::ExprKind;
using plan::ExprP;
using plan::Node;

/// Argo keeps a workflow as one Kubernetes object; etcd refuses requests over ~1.5 MB and Argo's
/// docs ("Offloading Large Workflows") put the practical limit at 1 MB.
constexpr size_t kMaxWorkflowBytes = 1024 * 1024;

/// One DAG template: the pipeline's body, or a `for` body (run once per item).
struct Scope {
  Scope* parent = nullptr;
  std::set<std::string> local; ///< node ids whose tasks are in this DAG
  std::string loopVar;         ///< a `for` body: its variable, an input parameter
  std::string loopTask;        ///< a `for` body: the task of the `for` in the parent
  Json tasks = Json::array();
  Json inputParams = Json::array(), inputArtifacts = Json::array();
  Json argParams = Json::array(), argArtifacts = Json::array();
  Json outputParams = Json::array();
  std::set<std::string> imported;
  std::set<std::string> parentDeps; ///< tasks of the parent the `for` task must wait for
};

struct Argo {
  const plan::Plan& plan;
  const Options& opt;
  NameAllocator names{true, '-', 63};
  NameAllocator paramNames{false, '_', 63};
  Json templates = Json::array();
  std::map<std::string, std::string> taskOf; ///< node id -> task name
  std::map<std::string, const Node*> nodeOf;
  std::set<std::string> single = plan::singleOutputNodes(plan);
  /// Computed bindings `argmax`/`argmin`: a selection task each (docs/export/argo.md).
  std::map<std::string, Selection> selections;
  /// Output parameters of a node inside loops that a selection reads after the loops, each
  /// passed out by every enclosing loop's DAG: node id -> parameter names of its template.
  std::map<std::string, std::set<std::string>> exported;
  /// The `for` nodes around a node, innermost first.
  std::map<std::string, std::vector<std::string>> loopsOf;
  /// A `for` node's DAG template, by index in `templates`, and the output parameters it passes
  /// out (added to the template when the workflow is assembled: an index found later may add one).
  std::map<std::string, size_t> forTemplate;
  std::map<std::string, Json> forOutputs;

  Argo(const plan::Plan& p, const Options& o) : plan(p), opt(o) {
    names.reserve("main");
    std::function<void(const std::vector<Node>&, std::vector<std::string>&)> visit =
        [&](const std::vector<Node>& l, std::vector<std::string>& loops) {
          for (auto& n : l) {
            nodeOf[n.id] = &n;
            loopsOf[n.id] = std::vector<std::string>(loops.rbegin(), loops.rend());
            if (auto* v = n.as<plan::ValueNode>())
              if (auto sel = selectionOf(plan, *v)) selections[n.id] = *sel;
            bool loop = n.kind() == plan::NodeKind::For;
            if (loop) loops.push_back(n.id);
            for (auto* c : n.children())
              visit(*c, loops);
            if (loop) loops.pop_back();
          }
        };
    std::vector<std::string> none;
    visit(plan.nodes, none);
    for (auto& [id, sel] : selections)
      for (const SelectList* l : {&sel.items, &sel.scores}) {
        if (l->node.empty() || !l->output) continue;
        auto* out = outputOf(l->node, *l->output);
        exported[l->node].insert(out && out->isMetrics() ? *l->output : *l->output + "_key");
      }
  }

  /// The name a loop's DAG passes node `id`'s output parameter `p` out under.
  std::string exportName(const std::string& id, const std::string& p) {
    return paramNames.name("x:" + id + "." + p, "x", id + "_" + p);
  }

  const Selection* selected(const ExprP& e, std::string& id, std::string& path) {
    return selectionAt(selections, e, id, path);
  }

  /// A selection of a loop's artifacts as an argument artifact: the winner's S3 key, which the
  /// selection task outputs. Null when `v` is not one.
  Json selectedArtifact(Scope& s, const ExprP& v, const std::string& name,
                        std::set<std::string>& deps) {
    std::string id, path;
    const Selection* sel = selected(v, id, path);
    if (!sel || !path.empty() || sel->items.node.empty() || !sel->items.output) return nullptr;
    auto* o = outputOf(sel->items.node, *sel->items.output);
    if (!o || o->isMetrics()) return nullptr;
    return {{"name", name}, {"s3", {{"key", parameterFrom(s, id, "value", deps).first}}}};
  }

  [[noreturn]] void unsupported(const std::string& range, const std::string& what) {
    throw Unsupported(range, "Argo Workflows cannot express " + what);
  }

  std::string text(const ExprP& e) { return plan::sourceText(e, single); }

  std::string task(const std::string& id) {
    auto it = taskOf.find(id);
    if (it != taskOf.end()) return it->second;
    return taskOf[id] = names.name(id);
  }

  // ---- references across DAG scopes -------------------------------------------------------

  /// Imports a value of the parent scope into `s` as an input (parameter or artifact) named
  /// `name`, passed by the `for` task as `parentValue`; returns nothing (callers know the form).
  void importInput(Scope& s, bool artifact, const std::string& name, const std::string& parentValue,
                   const std::set<std::string>& parentDeps) {
    if (!s.imported.insert((artifact ? "a:" : "p:") + name).second) return;
    if (artifact) {
      s.inputArtifacts.push_back({{"name", name}});
      s.argArtifacts.push_back({{"name", name}, {"from", parentValue}});
    } else {
      s.inputParams.push_back({{"name", name}});
      s.argParams.push_back({{"name", name}, {"value", parentValue}});
    }
    s.parentDeps.insert(parentDeps.begin(), parentDeps.end());
  }

  /// `{{tasks.T.outputs.artifacts.O}}` (or the imported input) for node `id`'s output `out`;
  /// adds the task it waits for to `deps`.
  std::string artifactFrom(Scope& s, const std::string& id, const std::string& out,
                           std::set<std::string>& deps) {
    if (s.local.count(id)) {
      deps.insert(task(id));
      return "{{tasks." + task(id) + ".outputs.artifacts." + out + "}}";
    }
    if (!s.parent) return "";
    std::string name = paramNames.name("a:" + id + "." + out, "a", id + "_" + out);
    std::set<std::string> pdeps;
    std::string pv = artifactFrom(*s.parent, id, out, pdeps);
    importInput(s, true, name, pv, pdeps);
    return "{{inputs.artifacts." + name + "}}";
  }

  /// A metrics output as an output parameter: the simple tag and the expression form.
  std::pair<std::string, std::string> parameterFrom(Scope& s, const std::string& id,
                                                    const std::string& out,
                                                    std::set<std::string>& deps) {
    if (s.local.count(id)) {
      deps.insert(task(id));
      return {"{{tasks." + task(id) + ".outputs.parameters." + out + "}}",
              "tasks['" + task(id) + "'].outputs.parameters['" + out + "']"};
    }
    if (!s.parent) return {"", ""};
    std::string name = paramNames.name("p:" + id + "." + out, "p", id + "_" + out);
    std::set<std::string> pdeps;
    auto pv = parameterFrom(*s.parent, id, out, pdeps);
    importInput(s, false, name, pv.first, pdeps);
    return {"{{inputs.parameters." + name + "}}", "inputs.parameters['" + name + "']"};
  }

  /// A loop variable of this or an enclosing `for`.
  std::pair<std::string, std::string> loopVar(Scope& s, const std::string& var) {
    if (s.loopVar == var)
      return {"{{inputs.parameters." + var + "}}", "inputs.parameters['" + var + "']"};
    if (!s.parent) return {"", ""};
    auto pv = loopVar(*s.parent, var);
    importInput(s, false, var, pv.first, {});
    return {"{{inputs.parameters." + var + "}}", "inputs.parameters['" + var + "']"};
  }

  const plan::PipelineParam* param(const std::string& name) { return findParam(plan, name); }

  const plan::StepOutput* outputOf(const std::string& id, const std::string& out) {
    return callOutput(plan, nodeOf, id, out);
  }

  const plan::ValueNode* valueNode(const Expr& e) {
    if (e.kind != ExprKind::Ref || e.lifted || e.output) return nullptr;
    auto it = nodeOf.find(e.name);
    return it == nodeOf.end() ? nullptr : it->second->as<plan::ValueNode>();
  }

  /// Whether a pipeline parameter appears anywhere in `e` (a value that may change at submit).
  static bool mentionsParamDeep(const ExprP& e) {
    if (!e) return false;
    if (e->kind == ExprKind::Param) return true;
    for (auto& i : e->items)
      if (mentionsParamDeep(i)) return true;
    for (auto& n : e->named)
      if (mentionsParamDeep(n.value)) return true;
    for (auto& p : e->parts)
      if (mentionsParamDeep(p.expr)) return true;
    return mentionsParamDeep(e->of) || mentionsParamDeep(e->index);
  }

  static bool mentionsCall(const Expr& e) {
    if (e.kind == ExprKind::Call) return true;
    for (auto& i : e.items)
      if (i && mentionsCall(*i)) return true;
    return false;
  }

  static bool mentionsParam(const Expr& e) {
    if (e.kind == ExprKind::Param) return true;
    for (auto& i : e.items)
      if (i && mentionsParam(*i)) return true;
    return false;
  }

  // ---- expressions ----------------------------------------------------------------------

  /// The expression in Argo's expression language (expr-lang, inside `{{= … }}`).
  std::string exprLang(Scope& s, const ExprP& e, const std::string& range,
                       std::set<std::string>& deps) {
    if (!e) unsupported(range, "a missing value");
    std::string selId, selPath;
    if (selected(e, selId, selPath)) {
      auto p = parameterFrom(s, selId, "value", deps);
      auto* v = nodeOf[selId]->as<plan::ValueNode>();
      if (selPath.empty() && v->type == "string") return p.second;
      return "jsonpath(" + p.second + ", '$" + (selPath.empty() ? "" : "." + selPath) + "')";
    }
    switch (e->kind) {
    case ExprKind::Lit:
      if (e->value.is_string()) {
        std::string q = "'";
        for (char c : e->value.get<std::string>()) {
          if (c == '\'' || c == '\\') q += '\\';
          q += c;
        }
        return q + "'";
      }
      if (e->value.is_number() || e->value.is_boolean())
        return plan::commandText(e->value, e->type);
      break;
    case ExprKind::Param: {
      auto* p = param(e->name);
      if (!p || plan::isArtifactType(p->type)) break;
      std::string ref = "workflow.parameters['" + e->name + "']";
      return p->type == "string" ? ref : "jsonpath(" + ref + ", '$')";
    }
    case ExprKind::Var: {
      auto v = loopVar(s, e->name);
      if (v.second.empty()) break;
      return "jsonpath(" + v.second + ", '$')";
    }
    case ExprKind::Field: {
      // `scores.auc`, `report.regression.mse`: a field of a step's Metrics output.
      std::string path = e->name;
      ExprP of = e->of;
      while (of && of->kind == ExprKind::Field) {
        path = of->name + "." + path;
        of = of->of;
      }
      if (of && of->kind == ExprKind::Ref && of->output && !of->lifted) {
        auto* o = outputOf(of->name, *of->output);
        if (o && o->isMetrics()) {
          auto p = parameterFrom(s, of->name, *of->output, deps);
          return "jsonpath(" + p.second + ", '$." + path + "')";
        }
      }
      if (std::string item = indexed(s, of, range, deps); !item.empty())
        return "jsonpath(" + item + ", '$." + path + "')";
      break;
    }
    case ExprKind::Call:
      if (e->name == "len" && e->named.size() == 1)
        return lengthOf(s, e->named[0].value, range, deps);
      break;
    case ExprKind::Ref:
      // A computed binding (`gap = t.auc - limit`) is its expression wherever it is used.
      if (const plan::ValueNode* v = valueNode(*e))
        return "(" + exprLang(s, v->value, range, deps) + ")";
      break;
    case ExprKind::Op: {
      static const std::map<std::string, std::string> ops = {
          {"and", "&&"}, {"or", "||"}, {"+", "+"}, {"-", "-"},   {"*", "*"},   {"/", "/"},
          {"<", "<"},    {"<=", "<="}, {">", ">"}, {">=", ">="}, {"==", "=="}, {"!=", "!="}};
      if (e->items.size() == 1 && (e->name == "not" || e->name == "neg"))
        return std::string(e->name == "not" ? "!" : "-") + "(" +
               exprLang(s, e->items[0], range, deps) + ")";
      auto it = ops.find(e->name);
      if (it != ops.end() && e->items.size() == 2)
        return "(" + exprLang(s, e->items[0], range, deps) + " " + it->second + " " +
               exprLang(s, e->items[1], range, deps) + ")";
      break;
    }
    default:
      break;
    }
    unsupported(range, "`" + text(e) +
                           "` in a condition or a value computed while the pipeline "
                           "runs (only literals, parameters, loop variables, fields of a step's "
                           "metrics and operators on them)");
  }

  /// `xs[I]` of a loop's Metrics results (`xs` bound directly in one `for` of this DAG): the
  /// item of the JSON list the loop passes out (each item the metrics' JSON text), or "".
  std::string indexed(Scope& s, const ExprP& e, const std::string& range,
                      std::set<std::string>& deps) {
    if (!e || e->kind != ExprKind::Index || !e->of || e->of->kind != ExprKind::Ref ||
        e->of->lifted.value_or(0) != 1 || !e->of->output)
      return "";
    const std::string& id = e->of->name;
    auto* o = outputOf(id, *e->of->output);
    auto& loops = loopsOf[id];
    if (!o || !o->isMetrics() || loops.empty() || !s.local.count(loops[0]) ||
        !forTemplate.count(loops[0]))
      return "";
    std::string name = exportName(id, *e->of->output);
    Json& outs = forOutputs[loops[0]];
    if (!outs.is_array()) outs = Json::array();
    bool have = false;
    for (auto& p : outs)
      have = have || p["name"] == name;
    if (!have)
      outs.push_back({{"name", name},
                      {"valueFrom",
                       {{"parameter", "{{tasks." + task(id) + ".outputs.parameters." +
                                          *e->of->output + "}}"}}}});
    deps.insert(task(loops[0]));
    return "jsonpath(tasks['" + task(loops[0]) + "'].outputs.parameters['" + name + "'], '$[' + " +
           "string(" + exprLang(s, e->index, range, deps) + ") + ']')";
  }

  /// `len(list)`: of a parameter's list when the workflow runs, of a literal, of a `range(n)`,
  /// or of a loop's results (the length of the loop's list).
  std::string lengthOf(Scope& s, const ExprP& l, const std::string& range,
                       std::set<std::string>& deps) {
    if (l && l->kind == ExprKind::Param && param(l->name))
      return "len(jsonpath(workflow.parameters['" + l->name + "'], '$'))";
    if (l && l->kind == ExprKind::Call && l->name == "range" && l->named.size() == 1)
      return exprLang(s, l->named[0].value, range, deps);
    if (l && l->kind == ExprKind::Ref && l->lifted) {
      auto& loops = loopsOf[l->name];
      if (loops.size() >= static_cast<size_t>(*l->lifted))
        if (auto* f = nodeOf[loops[static_cast<size_t>(*l->lifted) - 1]]->as<plan::ForNode>())
          return lengthOf(s, f->over, range, deps);
    }
    if (auto v = constantValue(plan, l, nullptr); v && v->is_array() && !mentionsParam(*l))
      return std::to_string(v->size());
    unsupported(range, "`len(" + text(l) +
                           ")`, the length of a list known only when the "
                           "workflow runs");
  }

  /// The expression as the text of an Argo parameter value: literal text, `{{…}}` tags.
  std::string valueText(Scope& s, const ExprP& e, const std::string& type, const std::string& range,
                        std::set<std::string>& deps) {
    if (!e) unsupported(range, "a missing value");
    if (e->kind == ExprKind::Lit) return plan::commandText(e->value, type);
    switch (e->kind) {
    case ExprKind::Param: {
      auto* p = param(e->name);
      if (p && !plan::isArtifactType(p->type)) return "{{workflow.parameters." + e->name + "}}";
      break;
    }
    case ExprKind::Var: {
      auto v = loopVar(s, e->name);
      if (!v.first.empty()) return v.first;
      break;
    }
    case ExprKind::Interp: {
      std::string out;
      for (auto& p : e->parts)
        out += p.expr ? valueText(s, p.expr, p.type, range, deps) : p.text;
      return out;
    }
    case ExprKind::Ref:
      if (e->output && !e->lifted) {
        auto* o = outputOf(e->name, *e->output);
        if (o && o->isMetrics()) return parameterFrom(s, e->name, *e->output, deps).first;
      }
      if (selections.count(e->name) && !e->output && !e->lifted)
        return parameterFrom(s, e->name, "value", deps).first;
      break;
    case ExprKind::Index:
      if (std::string item = indexed(s, e, range, deps); !item.empty()) return "{{=" + item + "}}";
      break;
    case ExprKind::List:
    case ExprKind::Op:
      // Literals only (parameters stay overridable when the workflow is submitted).
      if (!mentionsParam(*e) && !mentionsCall(*e))
        if (auto v = constantValue(plan, e, nullptr)) return plan::commandText(*v, type);
      break;
    default:
      break;
    }
    return "{{=" + exprLang(s, e, range, deps) + "}}";
  }

  // ---- one task per node ------------------------------------------------------------------

  struct Conds {
    std::vector<std::string> exprs;
    std::set<std::string> deps;
  };

  Json taskFor(const Node& n, const std::string& templateName, const Conds& conds,
               std::set<std::string> deps) {
    Json t = {{"name", task(n.id)}, {"template", templateName}};
    deps.insert(conds.deps.begin(), conds.deps.end());
    deps.erase(task(n.id));
    if (!deps.empty()) {
      std::string d;
      for (auto& x : deps)
        d += (d.empty() ? "" : " && ") + x;
      t["depends"] = d;
    }
    if (!conds.exprs.empty()) {
      std::string w;
      for (auto& c : conds.exprs)
        w += (w.empty() ? "" : " && ") + c;
      t["when"] = "{{=" + w + "}}";
    }
    return t;
  }

  static std::string quantity(double v) {
    if (std::floor(v) == v) return plan::commandText(Json(static_cast<long long>(v)), "int");
    return std::to_string(static_cast<long long>(std::llround(v * 1000))) + "m";
  }

  double number(const Json& v, const std::string& what, const std::string& range) {
    if (!v.is_number()) throw Unsupported(range, "`" + what + "` is not a number");
    return v.get<double>();
  }

  void callTask(Scope& s, const Node& n, const plan::CallNode& c, const Conds& conds) {
    const plan::StepDef* def = plan.steps.find(c.step);
    if (!def) unsupported(n.range, "a call of an unknown step `" + c.step + "`");
    std::string tname = task(n.id);
    std::set<std::string> deps;
    Json inParams = Json::array(), inArtifacts = Json::array();
    Json argParams = Json::array(), argArtifacts = Json::array();
    Json env = Json::array();
    std::set<std::string> declared;

    auto argOf = [&](const std::string& p) { return callArg(c, p); };
    auto typeOf = [&](const std::string& p) { return paramType(*def, p); };
    auto srcPath = [&](const std::string& path) { return imagePath(opt, path); };
    // The text a `${p}` of the run template (or of env) becomes: a quoted word for the shell
    // (`quote`), or plain text for an environment value.
    std::function<std::string(const ExprP&, const std::string&, bool)> part =
        [&](const ExprP& e, const std::string& type, bool quote) -> std::string {
      if (e && e->kind == ExprKind::Out) {
        std::string p = "/mlp/out/" + e->name;
        return quote ? shellQuote(p) : p;
      }
      if (e && e->kind == ExprKind::Arg) {
        const plan::NamedExpr* a = argOf(e->name);
        std::string ptype = typeOf(e->name);
        if (!a || !a->value) unsupported(n.range, "an argument `" + e->name + "` with no value");
        const ExprP& v = a->value;
        if (plan::isArtifactType(ptype)) {
          std::string path;
          if (v->kind == ExprKind::Ref && v->output && !v->lifted) {
            path = "/mlp/in/" + e->name;
            if (declared.insert("a:" + e->name).second) {
              std::string from = artifactFrom(s, v->name, *v->output, deps);
              inArtifacts.push_back({{"name", e->name}, {"path", path}});
              argArtifacts.push_back({{"name", e->name}, {"from", from}});
            }
          } else if (v->kind == ExprKind::Data && plan.data.find(v->name)) {
            path = srcPath(plan.data.find(v->name)->path);
          } else if (v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
                     param(v->name)->source()->path.rfind('/', 0) != 0) {
            path = srcPath(param(v->name)->source()->path);
          } else if (Json sa = selectedArtifact(s, v, e->name, deps); !sa.is_null()) {
            path = "/mlp/in/" + e->name;
            if (declared.insert("a:" + e->name).second) {
              inArtifacts.push_back({{"name", e->name}, {"path", path}});
              argArtifacts.push_back(sa);
            }
          } else if (v->kind == ExprKind::Ref && v->lifted) {
            unsupported(n.range, "`" + text(v) + "`, the list of a `for` loop's " +
                                     "artifacts, as a step argument (Argo does not collect "
                                     "artifacts across a loop's iterations)");
          } else {
            unsupported(n.range, "the artifact argument `" + e->name + " = " + text(v) + "`");
          }
          return quote ? shellQuote(path) : path;
        }
        if (auto k = constantValue(plan, v, nullptr); k && v->kind != ExprKind::Param) {
          if (k->is_array() && quote) {
            std::string words;
            for (auto& x : *k)
              words += (words.empty() ? "" : " ") + shellQuote(plan::commandText(x, ""));
            return words;
          }
          std::string t = plan::commandText(*k, ptype);
          return quote ? shellQuote(t) : t;
        }
        if (v->kind == ExprKind::Param && quote &&
            (ptype == "list<string>" || ptype == "list<int>")) {
          // A word per element, each single-quoted for the shell: computed by the task's
          // arguments from the workflow parameter, inserted into the command as it is.
          if (declared.insert("p:" + e->name).second) {
            inParams.push_back({{"name", e->name}});
            argParams.push_back({{"name", e->name},
                                 {"value", "{{=join(map(jsonpath(workflow.parameters['" + v->name +
                                               "'], '$'), {\"'\" + replace(string(#), \"'\", "
                                               "\"'\\\\''\") + \"'\"}), ' ')}}"}});
          }
          return "{{inputs.parameters." + e->name + "}}";
        }
        if (ptype.rfind("list<", 0) == 0 && quote)
          unsupported(n.range, "the list argument `" + e->name + " = " + text(v) +
                                   "`, known only when the workflow runs, in a command (only "
                                   "a list<string> or list<int> parameter)");
        std::string var = "MLP_ARG_" + e->name;
        if (declared.insert("p:" + e->name).second) {
          inParams.push_back({{"name", e->name}});
          argParams.push_back(
              {{"name", e->name}, {"value", valueText(s, v, ptype, n.range, deps)}});
          env.push_back({{"name", var}, {"value", "{{inputs.parameters." + e->name + "}}"}});
        }
        return quote ? "\"$" + var + "\"" : "{{inputs.parameters." + e->name + "}}";
      }
      if (auto k = constantValue(plan, e, &c.args)) {
        std::string t = plan::commandText(*k, type);
        return quote ? shellQuote(t) : t;
      }
      unsupported(def->range, "`${" + text(e) + "}` in the command of step `" + def->name +
                                  "` (only parameters and outputs)");
    };
    auto render = [&](const ExprP& tmpl, bool quote) {
      if (!tmpl) return std::string();
      if (auto lit = tmpl->literalString()) return *lit;
      std::string out;
      for (auto& p : tmpl->parts)
        out += p.expr ? part(p.expr, p.type, quote) : p.text;
      return out;
    };

    std::string command = render(def->run, true);
    for (auto& e : def->env)
      env.push_back({{"name", e.name}, {"value", render(e.value, false)}});
    std::string image = opt.image;
    if (def->image) {
      auto v = constantValue(plan, def->image, &c.args);
      if (!v || !v->is_string())
        unsupported(def->range, "the image of step `" + def->name +
                                    "`, which is known only when the pipeline runs");
      image = v->get<std::string>();
    }

    Json container = {{"image", image},
                      {"command", Json::array({"/bin/sh", "-c"})},
                      {"args", Json::array({"mkdir -p /mlp/out && " + command})},
                      {"workingDir", srcPath(def->dir)}};
    if (!env.empty()) container["env"] = env;
    double cpu = number(propertyValue(plan, def->resources.cpu, c.args, "resources.cpu", n.range),
                        "resources.cpu", n.range);
    Json requests = {{"cpu", quantity(cpu)}}, limits = {{"cpu", quantity(cpu)}};
    Json mem = propertyValue(plan, def->resources.memoryBytes, c.args, "resources.memory", n.range);
    if (!mem.is_null()) {
      std::string q = quantity(std::ceil(number(mem, "resources.memory", n.range)));
      requests["memory"] = q;
      limits["memory"] = q;
    }
    double gpu = number(propertyValue(plan, def->resources.gpu, c.args, "resources.gpu", n.range),
                        "resources.gpu", n.range);
    if (gpu > 0) limits["nvidia.com/gpu"] = quantity(std::ceil(gpu));
    container["resources"] = {{"requests", requests}, {"limits", limits}};

    Json tmpl = {{"name", tname}};
    Json inputs = Json::object();
    if (!inParams.empty()) inputs["parameters"] = inParams;
    if (!inArtifacts.empty()) inputs["artifacts"] = inArtifacts;
    if (!inputs.empty()) tmpl["inputs"] = inputs;
    Json outArtifacts = Json::array(), outParams = Json::array();
    for (auto& o : def->outputs) {
      std::string path = "/mlp/out/" + o.name;
      Json art = {{"name", o.name}, {"path", path}};
      if (exported[n.id].count(o.name + "_key")) {
        // A selection may pick this artifact: it is stored under a key of its own, which the
        // task outputs (and its loop passes out) for the selection to name the winner's.
        std::string key = "mlpc/{{workflow.name}}/{{pod.name}}/" + o.name;
        art["s3"] = {{"key", key}};
        outParams.push_back(
            {{"name", o.name + "_key"}, {"valueFrom", {{"path", "/mlp/out/." + o.name + ".key"}}}});
        container["args"][0] = container["args"][0].get<std::string>() + " && printf %s " +
                               shellQuote(key) + " > " + shellQuote("/mlp/out/." + o.name + ".key");
      }
      outArtifacts.push_back(art);
      if (o.isMetrics()) outParams.push_back({{"name", o.name}, {"valueFrom", {{"path", path}}}});
    }
    Json outputs = Json::object();
    if (!outParams.empty()) outputs["parameters"] = outParams;
    if (!outArtifacts.empty()) outputs["artifacts"] = outArtifacts;
    if (!outputs.empty()) tmpl["outputs"] = outputs;
    Json timeout = propertyValue(plan, def->timeoutS, c.args, "timeout", n.range);
    if (!timeout.is_null())
      tmpl["activeDeadlineSeconds"] = quantity(std::ceil(number(timeout, "timeout", n.range)));
    double attempts =
        number(propertyValue(plan, def->retry.attempts, c.args, "retry.attempts", n.range),
               "retry.attempts", n.range);
    if (attempts > 1) {
      Json rs = {{"limit", quantity(attempts - 1)}, {"retryPolicy", "Always"}};
      double backoff =
          number(propertyValue(plan, def->retry.backoffS, c.args, "retry.backoff", n.range),
                 "retry.backoff", n.range);
      if (backoff > 0) rs["backoff"] = {{"duration", quantity(std::ceil(backoff)) + "s"}};
      tmpl["retryStrategy"] = rs;
    }
    tmpl["metadata"] = {{"annotations", {{"mlpc/step", c.step}, {"mlpc/source", n.range}}}};
    tmpl["container"] = container;
    templates.push_back(tmpl);

    Json t = taskFor(n, tname, conds, deps);
    Json args = Json::object();
    if (!argParams.empty()) args["parameters"] = argParams;
    if (!argArtifacts.empty()) args["artifacts"] = argArtifacts;
    if (!args.empty()) t["arguments"] = args;
    s.tasks.push_back(t);
  }

  /// A small container (the utility image) running `script`, for `register` and `fail`.
  void utilityTask(Scope& s, const Node& n, const Conds& conds, std::set<std::string> deps,
                   const std::string& script, Json inParams, Json argParams, Json inArtifacts,
                   Json argArtifacts, Json env, Json outArtifacts) {
    std::string tname = task(n.id);
    Json tmpl = {{"name", tname}};
    Json inputs = Json::object();
    if (!inParams.empty()) inputs["parameters"] = inParams;
    if (!inArtifacts.empty()) inputs["artifacts"] = inArtifacts;
    if (!inputs.empty()) tmpl["inputs"] = inputs;
    if (!outArtifacts.empty()) tmpl["outputs"] = {{"artifacts", outArtifacts}};
    tmpl["metadata"] = {{"annotations", {{"mlpc/source", n.range}}}};
    Json container = {{"image", opt.utilityImage},
                      {"command", Json::array({"/bin/sh", "-c"})},
                      {"args", Json::array({script})}};
    if (!env.empty()) container["env"] = env;
    tmpl["container"] = container;
    templates.push_back(tmpl);
    Json t = taskFor(n, tname, conds, deps);
    Json args = Json::object();
    if (!argParams.empty()) args["parameters"] = argParams;
    if (!argArtifacts.empty()) args["artifacts"] = argArtifacts;
    if (!args.empty()) t["arguments"] = args;
    s.tasks.push_back(t);
  }

  void registerTask(Scope& s, const Node& n, const plan::RegisterNode& r, const Conds& conds) {
    std::set<std::string> deps;
    const ExprP& m = r.model;
    Json modelArg = m ? selectedArtifact(s, m, "model", deps) : Json();
    if (modelArg.is_null() && (!m || m->kind != ExprKind::Ref || !m->output || m->lifted))
      unsupported(n.range, "registering `" + text(m) + "` (only a step's model output)");
    if (modelArg.is_null())
      modelArg = {{"name", "model"}, {"from", artifactFrom(s, m->name, *m->output, deps)}};
    const plan::ModelGroup* g = plan.models.find(r.group);
    std::string approval = g ? g->approval : "manual";
    std::string key = "mlpc/models/" + r.group + "/{{workflow.name}}";
    Json inParams = Json::array(), argParams = Json::array(), env = Json::array();
    std::string record = "{\"group\": \"" + r.group + "\", \"approval\": \"" + approval +
                         "\", \"workflow\": \"{{workflow.name}}\"";
    if (r.metrics) {
      inParams.push_back({{"name", "metrics"}});
      argParams.push_back(
          {{"name", "metrics"}, {"value", valueText(s, r.metrics, "", n.range, deps)}});
      record += ", \"metrics\": {{inputs.parameters.metrics}}";
    }
    record += ", \"tags\": {";
    bool first = true;
    for (auto& t : r.tags) {
      std::string p = "tag_" + t.name;
      inParams.push_back({{"name", p}});
      argParams.push_back({{"name", p}, {"value", valueText(s, t.value, "string", n.range, deps)}});
      record += std::string(first ? "" : ", ") + Json(t.name).dump() + ": \"{{inputs.parameters." +
                p + "}}\"";
      first = false;
    }
    record += "}}";
    env.push_back({{"name", "MLP_RECORD"}, {"value", record}});
    std::string script = "mkdir -p /mlp/out && cp -R /mlp/in/model /mlp/out/model && "
                         "printf '%s\\n' \"$MLP_RECORD\" > /mlp/out/registration.json";
    Json inArtifacts = Json::array({{{"name", "model"}, {"path", "/mlp/in/model"}}});
    Json argArtifacts = Json::array({modelArg});
    Json outArtifacts = Json::array(
        {{{"name", "model"}, {"path", "/mlp/out/model"}, {"s3", {{"key", key + "/model"}}}},
         {{"name", "registration"},
          {"path", "/mlp/out/registration.json"},
          {"archive", {{"none", Json::object()}}},
          {"s3", {{"key", key + "/registration.json"}}}}});
    utilityTask(s, n, conds, deps, script, inParams, argParams, inArtifacts, argArtifacts, env,
                outArtifacts);
  }

  void failTask(Scope& s, const Node& n, const plan::FailNode& f, const Conds& conds) {
    std::set<std::string> deps;
    std::string message = valueText(s, f.message, "string", n.range, deps);
    utilityTask(
        s, n, conds, deps, "printf 'mlpc: fail: %s\\n' \"$MLP_MESSAGE\" >&2; exit 1",
        Json::array({{{"name", "message"}}}),
        Json::array({{{"name", "message"}, {"value", message}}}), Json::array(), Json::array(),
        Json::array({{{"name", "MLP_MESSAGE"}, {"value", "{{inputs.parameters.message}}"}}}),
        Json::array());
  }

  /// One list of a selection: its JSON text for the selection's environment, and how many
  /// list levels (a loop's results nest one per loop) and whether its leaves are JSON text.
  struct ListArg {
    std::string value;
    int depth = 1;
    bool decode = false;
    std::string field;
  };

  ListArg selectList(Scope& s, const Node& n, const SelectList& l, std::set<std::string>& deps) {
    ListArg a;
    if (l.constant) {
      a.value =
          l.param.empty() ? plan::dump(*l.constant) : "{{workflow.parameters." + l.param + "}}";
      return a;
    }
    auto& loops = loopsOf[l.node];
    if (!l.output || loops.size() < static_cast<size_t>(l.lifted))
      unsupported(n.range, "`" + text(n.as<plan::ValueNode>()->value) +
                               "`: its list is not the results of a step called in a loop");
    auto* o = outputOf(l.node, *l.output);
    std::string p = o && o->isMetrics() ? *l.output : *l.output + "_key";
    const std::string& outer = loops[static_cast<size_t>(l.lifted) - 1];
    if (!s.local.count(outer))
      unsupported(n.range, "`" + text(n.as<plan::ValueNode>()->value) +
                               "` inside another loop or branch than its candidates' loop");
    deps.insert(task(outer));
    a.value = "{{tasks." + task(outer) + ".outputs.parameters." + exportName(l.node, p) + "}}";
    a.depth = l.lifted;
    a.decode = o && o->isMetrics();
    a.field = l.field;
    return a;
  }

  /// argmax/argmin: a `script` task (python3 in `--image`) after the loops, given the lists of
  /// the iterations' outputs; it outputs `index` and `value` (the winner's metrics, list item, or
  /// the S3 key of its artifact).
  void selectTask(Scope& s, const Node& n, const Selection& sel, const Conds& conds) {
    std::set<std::string> deps;
    ListArg items = selectList(s, n, sel.items, deps);
    ListArg scores = selectList(s, n, sel.scores, deps);
    std::string tname = task(n.id);
    std::string source = std::string("import json\nimport os\n\n\n") + selectFunctionPython() +
                         "\n\ndef leaves(text, depth, decode, field):\n"
                         "    \"\"\"A loop's aggregated outputs (JSON, nested once per loop) as "
                         "one flat list.\"\"\"\n"
                         "    def walk(v, d):\n"
                         "        if isinstance(v, str) and (d > 0 or decode):\n"
                         "            v = json.loads(v)\n"
                         "        if d == 0:\n"
                         "            for key in field.split(\".\") if field else []:\n"
                         "                v = v[key]\n"
                         "            return [v]\n"
                         "        return [x for item in v for x in walk(item, d - 1)]\n"
                         "    return walk(text, depth)\n\n\n"
                         "items = leaves(os.environ[\"MLP_ITEMS\"], " +
                         std::to_string(items.depth) + ", " + (items.decode ? "True" : "False") +
                         ", " + Json(items.field).dump() +
                         ")\nscores = leaves(os.environ[\"MLP_SCORES\"], " +
                         std::to_string(scores.depth) + ", " + (scores.decode ? "True" : "False") +
                         ", " + Json(scores.field).dump() + ")\ni = _select(items, scores, " +
                         (sel.argmin ? "True" : "False") +
                         ")\nvalue = items[i]\n"
                         "with open(\"/tmp/index\", \"w\") as f:\n"
                         "    f.write(str(i))\n"
                         "with open(\"/tmp/value\", \"w\") as f:\n"
                         "    f.write(value if isinstance(value, str) else json.dumps(value))\n";
    Json tmpl = {
        {"name", tname},
        {"inputs", {{"parameters", Json::array({{{"name", "items"}}, {{"name", "scores"}}})}}},
        {"outputs",
         {{"parameters",
           Json::array({{{"name", "index"}, {"valueFrom", {{"path", "/tmp/index"}}}},
                        {{"name", "value"}, {"valueFrom", {{"path", "/tmp/value"}}}}})}}},
        {"metadata", {{"annotations", {{"mlpc/source", n.range}}}}},
        {"script",
         {{"image", opt.image},
          {"command", Json::array({"/usr/bin/python3"})},
          {"env",
           Json::array({{{"name", "MLP_ITEMS"}, {"value", "{{inputs.parameters.items}}"}},
                        {{"name", "MLP_SCORES"}, {"value", "{{inputs.parameters.scores}}"}}})},
          {"source", source}}}};
    templates.push_back(tmpl);
    Json t = taskFor(n, tname, conds, deps);
    t["arguments"] = {{"parameters", Json::array({{{"name", "items"}, {"value", items.value}},
                                                  {{"name", "scores"}, {"value", scores.value}}})}};
    s.tasks.push_back(t);
  }

  /// Batch inference: one container in the server's image (or `--image`) runs the stdlib's
  /// shard driver, which starts the server in the container and posts it every row.
  void transformTask(Scope& s, const Node& n, const plan::TransformNode& t, const Conds& conds) {
    const plan::StepDef* server = plan.servers.find(t.server);
    if (!server) unsupported(n.range, "a transform through an unknown server `" + t.server + "`");
    std::string tname = task(n.id);
    std::set<std::string> deps;
    Json inArtifacts = Json::array(), argArtifacts = Json::array();
    auto srcPath = [&](const std::string& path) {
      if (!path.empty() && path[0] == '/') return path;
      if (path.rfind("@stdlib/", 0) == 0) return opt.stdlibRoot + "/" + path.substr(8);
      return opt.sourceRoot + (path == "." ? "" : "/" + path);
    };
    auto artifact = [&](const ExprP& v, const std::string& name) -> std::string {
      std::string path = "/mlp/in/" + name;
      if (v && v->kind == ExprKind::Ref && v->output && !v->lifted) {
        inArtifacts.push_back({{"name", name}, {"path", path}});
        argArtifacts.push_back(
            {{"name", name}, {"from", artifactFrom(s, v->name, *v->output, deps)}});
        return path;
      }
      if (Json a = selectedArtifact(s, v, name, deps); !a.is_null()) {
        inArtifacts.push_back({{"name", name}, {"path", path}});
        argArtifacts.push_back(a);
        return path;
      }
      if (v && v->kind == ExprKind::Data && plan.data.find(v->name))
        return srcPath(plan.data.find(v->name)->path);
      if (v && v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
          param(v->name)->source()->path.rfind('/', 0) != 0)
        return srcPath(param(v->name)->source()->path);
      unsupported(n.range, "the " + name + " `" + text(v) + "` of a batch inference");
    };
    std::string model = artifact(t.model, "model");
    std::string data = artifact(t.data, "data");
    std::string run = serverTemplate(plan, *server, server->run, model, kTransformPort, true,
                                     "Argo Workflows", n.range);
    bool join = transformJoinSource(plan, t, "Argo Workflows", n.range);
    std::string command =
        transformCommand(*server, t, srcPath("@stdlib/std/sklearn/transform_shard.py"), run,
                         kTransformPort, join, data, "/mlp/out/predictions");
    std::string image = opt.image;
    if (server->image) {
      auto v = constantValue(plan, server->image, nullptr);
      if (!v || !v->is_string())
        unsupported(server->range,
                    "the image of server `" + server->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    Json env = Json::array();
    for (auto& e : server->env)
      env.push_back({{"name", e.name},
                     {"value", serverTemplate(plan, *server, e.value, model, kTransformPort, false,
                                              "Argo Workflows", n.range)}});
    Json container = {{"image", image},
                      {"command", Json::array({"/bin/sh", "-c"})},
                      {"args", Json::array({"mkdir -p /mlp/out && " + command})},
                      {"workingDir", srcPath(server->dir)}};
    if (!env.empty()) container["env"] = env;
    Json tmpl = {{"name", tname}};
    if (!inArtifacts.empty()) tmpl["inputs"] = {{"artifacts", inArtifacts}};
    tmpl["outputs"] = {
        {"artifacts", Json::array({{{"name", "predictions"}, {"path", "/mlp/out/predictions"}}})}};
    tmpl["metadata"] = {{"annotations", {{"mlpc/server", t.server}, {"mlpc/source", n.range}}}};
    tmpl["container"] = container;
    templates.push_back(tmpl);
    Json tk = taskFor(n, tname, conds, deps);
    if (!argArtifacts.empty()) tk["arguments"] = {{"artifacts", argArtifacts}};
    s.tasks.push_back(tk);
  }

  void forTask(Scope& s, const Node& n, const plan::ForNode& f, const Conds& conds) {
    std::string tname = task(n.id);
    Scope body;
    body.parent = &s;
    body.loopVar = f.var;
    body.loopTask = tname;
    forEachNode(f.body, [&](const Node& x) { body.local.insert(x.id); });
    std::set<std::string> deps;
    Json t;
    // The list: fixed in the file (withItems) or a parameter's JSON list (withParam).
    Json items;
    std::string withParam;
    std::string count;
    if (f.over && f.over->kind == ExprKind::Param && param(f.over->name)) {
      withParam = "{{workflow.parameters." + f.over->name + "}}";
    } else if (f.over && f.over->kind == ExprKind::Call && f.over->name == "range" &&
               f.over->named.size() == 1 && f.over->named[0].value &&
               f.over->named[0].value->kind == ExprKind::Param) {
      // `range(n)` of an int parameter: 0 … n-1 when the workflow runs.
      count = "{{workflow.parameters." + f.over->named[0].value->name + "}}";
    } else if (auto v = constantValue(plan, f.over, nullptr);
               v && v->is_array() && !mentionsParamDeep(f.over)) {
      items = *v;
    } else {
      unsupported(
          n.range,
          "a `for` over `" + text(f.over) +
              "` (only over a list literal, a list parameter or `range(n)` of an int parameter)");
    }
    walk(body, f.body, Conds{});
    Json tmpl = {{"name", tname}};
    Json inputs = Json::object();
    Json inParams = Json::array({{{"name", f.var}}});
    for (auto& p : body.inputParams)
      inParams.push_back(p);
    inputs["parameters"] = inParams;
    if (!body.inputArtifacts.empty()) inputs["artifacts"] = body.inputArtifacts;
    tmpl["inputs"] = inputs;
    // What a selection after the loop reads: each iteration's output parameter, passed out (the
    // `for` task's output is then the JSON list of every iteration's value).
    Json outParams = Json::array();
    for (auto& [id, params] : exported) {
      auto& loops = loopsOf[id];
      auto at = std::find(loops.begin(), loops.end(), n.id);
      if (at == loops.end()) continue;
      for (auto& p : params) {
        std::string from =
            at == loops.begin()
                ? "{{tasks." + task(id) + ".outputs.parameters." + p + "}}"
                : "{{tasks." + task(*(at - 1)) + ".outputs.parameters." + exportName(id, p) + "}}";
        outParams.push_back({{"name", exportName(id, p)}, {"valueFrom", {{"parameter", from}}}});
      }
    }
    forOutputs[n.id] = outParams;
    tmpl["dag"] = {{"tasks", body.tasks}};
    templates.push_back(tmpl);
    forTemplate[n.id] = templates.size() - 1;
    deps.insert(body.parentDeps.begin(), body.parentDeps.end());
    t = taskFor(n, tname, conds, deps);
    Json argParams = Json::array({{{"name", f.var}, {"value", "{{item}}"}}});
    for (auto& p : body.argParams)
      argParams.push_back(p);
    Json args = {{"parameters", argParams}};
    if (!body.argArtifacts.empty()) args["artifacts"] = body.argArtifacts;
    t["arguments"] = args;
    if (!count.empty())
      t["withSequence"] = {{"count", count}};
    else if (withParam.empty())
      t["withItems"] = items;
    else
      t["withParam"] = withParam;
    s.tasks.push_back(t);
  }

  void walk(Scope& s, const std::vector<Node>& nodes, const Conds& conds) {
    for (auto& n : nodes) {
      switch (n.kind()) {
      case plan::NodeKind::Call:
        callTask(s, n, *n.as<plan::CallNode>(), conds);
        break;
      case plan::NodeKind::Register:
        registerTask(s, n, *n.as<plan::RegisterNode>(), conds);
        break;
      case plan::NodeKind::Fail:
        failTask(s, n, *n.as<plan::FailNode>(), conds);
        break;
      case plan::NodeKind::For:
        forTask(s, n, *n.as<plan::ForNode>(), conds);
        break;
      case plan::NodeKind::If: {
        auto& i = *n.as<plan::IfNode>();
        Conds then = conds, otherwise = conds;
        std::set<std::string> deps;
        std::string c = exprLang(s, i.cond, n.range, deps);
        then.exprs.push_back(c);
        then.deps.insert(deps.begin(), deps.end());
        otherwise.exprs.push_back("!" + c);
        otherwise.deps.insert(deps.begin(), deps.end());
        walk(s, i.then, then);
        walk(s, i.otherwise, otherwise);
        break;
      }
      case plan::NodeKind::Transform:
        transformTask(s, n, *n.as<plan::TransformNode>(), conds);
        break;
      case plan::NodeKind::Value: {
        if (auto it = selections.find(n.id); it != selections.end()) {
          selectTask(s, n, it->second, conds);
          break;
        }
        // No task: the expression is written out wherever the binding is used. Check here that
        // it can be.
        auto* v = n.as<plan::ValueNode>();
        std::set<std::string> deps;
        try {
          Scope probe = s;
          exprLang(probe, v->value, n.range, deps);
        } catch (const Unsupported&) {
          unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                   "` (only literals, parameters, loop variables, fields of a "
                                   "step's metrics and operators on them: no builtin such as "
                                   "argmax, and no list of a loop's results)");
        }
        break;
      }
      }
    }
  }

  Json workflow() {
    Scope top;
    for (auto& n : plan.nodes)
      top.local.insert(n.id);
    // Nodes nested in `if` branches share their enclosing DAG.
    std::function<void(const std::vector<Node>&)> addBranches = [&](const std::vector<Node>& l) {
      for (auto& n : l)
        if (auto* i = n.as<plan::IfNode>()) {
          for (auto* list : {&i->then, &i->otherwise}) {
            for (auto& x : *list)
              top.local.insert(x.id);
            addBranches(*list);
          }
        }
    };
    addBranches(plan.nodes);
    walk(top, plan.nodes, Conds{});

    Json params = Json::array();
    for (auto& p : plan.pipeline.params) {
      if (plan::isArtifactType(p.type)) continue;
      params.push_back({{"name", p.name}, {"value", plan::commandText(p.value, p.type)}});
    }
    for (auto& [id, at] : forTemplate)
      if (auto it = forOutputs.find(id); it != forOutputs.end() && !it->second.empty())
        templates[at]["outputs"] = {{"parameters", it->second}};
    Json main = {{"name", "main"}, {"dag", {{"tasks", top.tasks}}}};
    Json all = Json::array({main});
    for (auto& t : templates)
      all.push_back(t);
    Json spec = {{"entrypoint", "main"}};
    if (!params.empty()) spec["arguments"] = {{"parameters", params}};
    spec["templates"] = all;
    Json labelValue = Json(names.name("label:" + plan.pipeline.name, "p", plan.pipeline.name));
    return {{"apiVersion", "argoproj.io/v1alpha1"},
            {"kind", "Workflow"},
            {"metadata",
             {{"generateName", labelValue.get<std::string>() + "-"},
              {"labels", {{"mlpc/pipeline", labelValue}}},
              {"annotations",
               {{"mlpc/pipeline", plan.pipeline.name},
                {"mlpc/source", plan.entry},
                {"mlpc/version", plan.mlpcVersion}}}}},
            {"spec", spec}};
  }
};

} // namespace

Result exportArgo(const plan::Plan& plan, const Options& options) {
  Result r;
  try {
    Argo a(plan, options);
    Json doc = a.workflow();
    std::string json = doc.dump();
    if (json.size() > kMaxWorkflowBytes)
      throw Unsupported(plan.pipeline.range, "Argo Workflows cannot store this workflow: it is " +
                                                 std::to_string(json.size()) +
                                                 " bytes, over the 1 MB limit of a "
                                                 "workflow object (docs/export/argo.md, Limits)");
    r.text = options.json ? plan::dump(doc) : toYaml(doc);
  } catch (const Unsupported& u) {
    r.problems.push_back({u.range, u.what()});
  }
  return r;
}

} // namespace mlpc::exporter
