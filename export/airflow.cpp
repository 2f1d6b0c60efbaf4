// Apache Airflow: a DAG file (Airflow 3 imports) with one KubernetesPodOperator per step call
// (docs/export/airflow.md has the mapping and what cannot be expressed).
#include "export/support.h"

#include "plan/expr_text.h"
#include "plan/plan.h"

#include <cmath>
#include <functional>
#include <sstream>

namespace mlpc::exporter {

namespace {

using plan::Expr;
using plan::ExprKind;
using plan::ExprP;
using plan::Node;

/// Airflow's `[core] max_map_length` default: a mapped task expands to at most 1024 copies.
/// mlpc unrolls a `for` at export, so the same bound keeps a DAG Airflow would accept.
constexpr size_t kMaxMapLength = 1024;

std::string py(const std::string& s) {
  return Json(s).dump();
}

struct Af {
  const plan::Plan& plan;
  const Options& opt;
  NameAllocator names{false, '_', 200};
  NameAllocator podNames{true, '-', 63}; ///< Kubernetes pod names: DNS labels
  std::map<std::string, const Node*> nodeOf;
  std::set<std::string> single = plan::singleOutputNodes(plan);
  std::map<std::string, Json> loopValue;
  std::map<std::string, std::string> renamed;
  std::string functions; ///< Python callables of conditions and fails
  std::string tasks;     ///< task definitions
  std::vector<std::pair<std::string, std::string>> edges;
  /// A node inside unrolled loops: its task of each iteration, in the order `mlpc run` lists
  /// them (a nested loop's flattened).
  std::map<std::string, std::vector<std::string>> iterations;
  /// Computed bindings `argmax`/`argmin`: a selection task each (docs/export/airflow.md).
  std::map<std::string, Selection> selections;

  Af(const plan::Plan& p, const Options& o) : plan(p), opt(o) {
    for (const char* r :
         {"dag", "k8s", "pendulum", "timedelta", "KubernetesPodOperator", "ShortCircuitOperator",
          "PythonOperator", "DAG", "WORK", "VOLUMES", "VOLUME_MOUNTS", "json"})
      names.reserve(r);
    forEachNode(plan.nodes, [&](const Node& n) {
      nodeOf[n.id] = &n;
      if (auto* v = n.as<plan::ValueNode>())
        if (auto sel = selectionOf(plan, *v)) selections[n.id] = *sel;
    });
  }

  [[noreturn]] void unsupported(const std::string& range, const std::string& what) {
    throw Unsupported(range, "Airflow cannot express " + what);
  }

  const Selection* selected(const ExprP& e, std::string& id, std::string& path) {
    return selectionAt(selections, e, id, path);
  }

  std::string indexedTask(const ExprP& e) { return iterationAt(plan, iterations, e); }

  /// The winner's artifact path (a Jinja template) when `e` is a selection of a loop's
  /// artifacts; "" otherwise.
  std::string selectedPath(const ExprP& e, std::set<std::string>& deps) {
    std::string id, path;
    const Selection* s = selected(e, id, path);
    if (!s || !path.empty() || s->items.node.empty() || !s->items.output) return "";
    auto* o = outputOf(s->items.node, *s->items.output);
    if (!o || o->isMetrics()) return "";
    deps.insert(taskId(id));
    // Double quotes inside: the path is single-quoted for the shell after Jinja renders it.
    return "/mlp/work/{{ run_id }}/{{ ti.xcom_pull(task_ids=\"" + taskId(id) + "\")[\"task\"] }}/" +
           *s->items.output;
  }
  std::string text(const ExprP& e) { return plan::sourceText(e, single); }
  std::string taskId(const std::string& id) {
    if (auto it = renamed.find(id); it != renamed.end()) return it->second;
    return names.name(id, "t");
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
  std::string outPath(const std::string& id, const std::string& out) {
    return "/mlp/work/{{ run_id }}/" + taskId(id) + "/" + out;
  }

  /// The expression in Python, inside a callable with `ti` and `params`.
  std::string python(const ExprP& e, const std::string& range, std::set<std::string>& deps) {
    if (!e) unsupported(range, "a missing value");
    std::string selId, selPath;
    if (selected(e, selId, selPath)) {
      deps.insert(taskId(selId));
      if (selPath.empty()) return "ti.xcom_pull(task_ids=" + py(taskId(selId)) + ")[\"value\"]";
      return "_metric(ti, " + py(taskId(selId)) + ", \"value\", " + py(selPath) + ")";
    }
    switch (e->kind) {
    case ExprKind::Lit:
      if (e->value.is_string()) return py(e->value.get<std::string>());
      if (e->value.is_boolean()) return e->value.get<bool>() ? "True" : "False";
      if (e->value.is_number()) return plan::commandText(e->value, e->type);
      break;
    case ExprKind::Param:
      if (auto* p = param(e->name); p && !plan::isArtifactType(p->type))
        return "params[" + py(e->name) + "]";
      break;
    case ExprKind::Var:
      if (auto it = loopValue.find(e->name); it != loopValue.end()) return it->second.dump();
      break;
    case ExprKind::Field: {
      std::string path = e->name;
      ExprP of = e->of;
      while (of && of->kind == ExprKind::Field) {
        path = of->name + "." + path;
        of = of->of;
      }
      if (of && of->kind == ExprKind::Ref && of->output && !of->lifted) {
        auto* o = outputOf(of->name, *of->output);
        if (o && o->isMetrics()) {
          deps.insert(taskId(of->name));
          return "_metric(ti, " + py(taskId(of->name)) + ", " + py(*of->output) + ", " + py(path) +
                 ")";
        }
      }
      if (std::string t = indexedTask(of); !t.empty()) {
        auto* o = outputOf(of->of->name, *of->of->output);
        if (o && o->isMetrics()) {
          deps.insert(t);
          return "_metric(ti, " + py(t) + ", " + py(*of->of->output) + ", " + py(path) + ")";
        }
      }
      break;
    }
    case ExprKind::Ref:
      if (const plan::ValueNode* v = valueNode(*e))
        return "(" + python(v->value, range, deps) + ")";
      break;
    case ExprKind::Interp: {
      std::string s;
      for (auto& p : e->parts)
        s += (s.empty() ? "" : " + ") +
             (p.expr ? "_text(" + python(p.expr, range, deps) + ")" : py(p.text));
      return s.empty() ? "\"\"" : s;
    }
    case ExprKind::Op: {
      static const std::map<std::string, std::string> ops = {
          {"and", "and"}, {"or", "or"}, {"+", "+"}, {"-", "-"},   {"*", "*"},   {"/", "/"},
          {"<", "<"},     {"<=", "<="}, {">", ">"}, {">=", ">="}, {"==", "=="}, {"!=", "!="}};
      if (e->items.size() == 1 && (e->name == "not" || e->name == "neg"))
        return std::string(e->name == "not" ? "not " : "-") + "(" +
               python(e->items[0], range, deps) + ")";
      auto it = ops.find(e->name);
      if (it != ops.end() && e->items.size() == 2)
        return "(" + python(e->items[0], range, deps) + " " + it->second + " " +
               python(e->items[1], range, deps) + ")";
      break;
    }
    case ExprKind::Call:
      if (auto k = foldedValue(plan, e, nullptr); k && (k->is_number() || k->is_string()))
        return k->dump();
      if (auto n = loopResultsLength(plan, *e)) return std::to_string(*n);
      break;
    default:
      break;
    }
    unsupported(range, "`" + text(e) +
                           "` in a condition or message (only literals, parameters, "
                           "fields of a step's metrics and operators on them)");
  }

  /// The expression as a Jinja-templated string for an environment variable.
  std::string jinja(const ExprP& e, const std::string& type, const std::string& range,
                    std::set<std::string>& deps) {
    if (e->kind == ExprKind::Lit) return plan::commandText(e->value, type);
    if (e->kind == ExprKind::Call)
      if (auto k = foldedValue(plan, e, nullptr)) return plan::commandText(*k, type);
    std::string selId, selPath;
    if (selected(e, selId, selPath)) {
      deps.insert(taskId(selId));
      std::string s = "{{ ti.xcom_pull(task_ids='" + taskId(selId) + "')['value']";
      std::stringstream ss(selPath);
      std::string k;
      while (std::getline(ss, k, '.'))
        s += "['" + k + "']";
      return s + " }}";
    }
    if (e->kind == ExprKind::Var)
      if (auto it = loopValue.find(e->name); it != loopValue.end())
        return plan::commandText(it->second, type);
    if (e->kind == ExprKind::Param)
      if (auto* p = param(e->name);
          p && !plan::isArtifactType(p->type) && p->type.rfind("list<", 0) != 0)
        return "{{ params." + e->name + " }}";
    if (e->kind == ExprKind::Interp) {
      std::string s;
      for (auto& p : e->parts)
        s += p.expr ? jinja(p.expr, p.type, range, deps) : p.text;
      return s;
    }
    std::string x = python(e, range, deps);
    // Inside Jinja, `_metric(ti, …)` is spelled with xcom_pull directly.
    if (x.rfind("_metric(", 0) == 0 && e->kind == ExprKind::Field) {
      std::string path = e->name;
      ExprP of = e->of;
      while (of && of->kind == ExprKind::Field) {
        path = of->name + "." + path;
        of = of->of;
      }
      std::string s = "{{ ti.xcom_pull(task_ids='" + taskId(of->name) + "')['" + *of->output + "']";
      std::stringstream ss(path);
      std::string k;
      while (std::getline(ss, k, '.'))
        s += "['" + k + "']";
      return s + " }}";
    }
    // Arithmetic on known values and parameters (`${total}`): the same expression in Jinja.
    if ((type == "int" || type == "float") && x.find("_metric(") == std::string::npos &&
        x.find("_text(") == std::string::npos && x.find("json.") == std::string::npos &&
        x.find("ti.") == std::string::npos)
      return "{{ " + x + " }}";
    unsupported(range, "`" + text(e) +
                           "` as a step argument (only literals, parameters and "
                           "fields of a step's metrics)");
  }

  double number(const Json& v, const std::string& what, const std::string& range) {
    if (!v.is_number()) throw Unsupported(range, "`" + what + "` is not a number");
    return v.get<double>();
  }
  static std::string quantity(double v) {
    if (std::floor(v) == v) return plan::commandText(Json(static_cast<long long>(v)), "int");
    return std::to_string(static_cast<long long>(std::llround(v * 1000))) + "m";
  }

  void addEdges(const std::string& t, const std::set<std::string>& deps) {
    for (auto& d : deps)
      if (d != t) edges.emplace_back(d, t);
  }

  void callTask(const Node& n, const plan::CallNode& c, const std::string& gate) {
    const plan::StepDef* def = plan.steps.find(c.step);
    if (!def) unsupported(n.range, "a call of an unknown step `" + c.step + "`");
    std::string id = taskId(n.id);
    std::set<std::string> deps;
    if (!gate.empty()) deps.insert(gate);
    Json env = Json::object();
    auto argOf = [&](const std::string& p) { return callArg(c, p); };
    auto typeOf = [&](const std::string& p) { return paramType(*def, p); };
    auto srcPath = [&](const std::string& path) { return imagePath(opt, path); };
    std::function<std::string(const ExprP&, const std::string&, bool)> part =
        [&](const ExprP& e, const std::string& type, bool quote) -> std::string {
      auto q = [&](const std::string& s) { return quote ? shellQuote(s) : s; };
      if (e && e->kind == ExprKind::Out) return q(outPath(n.id, e->name));
      if (e && e->kind == ExprKind::Arg) {
        const plan::NamedExpr* a = argOf(e->name);
        std::string ptype = typeOf(e->name);
        if (!a || !a->value) unsupported(n.range, "an argument `" + e->name + "` with no value");
        const ExprP& v = a->value;
        if (plan::isArtifactType(ptype)) {
          if (v->kind == ExprKind::Ref && v->output && !v->lifted) {
            deps.insert(taskId(v->name));
            return q(outPath(v->name, *v->output));
          }
          if (v->kind == ExprKind::Data && plan.data.find(v->name))
            return q(srcPath(plan.data.find(v->name)->path));
          if (v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
              param(v->name)->source()->path.rfind('/', 0) != 0)
            return q(srcPath(param(v->name)->source()->path));
          if (std::string p = selectedPath(v, deps); !p.empty()) return q(p);
          unsupported(n.range, "the artifact argument `" + e->name + " = " + text(v) + "`");
        }
        if (auto k = foldedValue(plan, v, nullptr); k && v->kind == ExprKind::Lit) {
          if (k->is_array() && quote) {
            std::string words;
            for (auto& x : *k)
              words += (words.empty() ? "" : " ") + shellQuote(plan::commandText(x, ""));
            return words;
          }
          return q(plan::commandText(*k, ptype));
        }
        if (v->kind == ExprKind::Var)
          if (auto it = loopValue.find(v->name); it != loopValue.end())
            return q(plan::commandText(it->second, ptype));
        if (v->kind == ExprKind::Param && quote &&
            (ptype == "list<string>" || ptype == "list<int>"))
          // A word per element, each single-quoted for the shell, when Jinja renders the command
          // with the run's params.
          return "{% for x in params." + v->name +
                 " %}{{ \"'\" ~ (x | string).replace(\"'\", \"'\\\\''\") ~ \"'\" }}"
                 "{{ \" \" if not loop.last else \"\" }}{% endfor %}";
        if (ptype.rfind("list<", 0) == 0)
          unsupported(n.range, "the list argument `" + e->name + " = " + text(v) +
                                   "` in a command (only a list<string> or list<int> parameter)");
        std::string var = "MLP_ARG_" + e->name;
        env[var] = jinja(v, ptype, n.range, deps);
        return quote ? "\"$" + var + "\"" : "{{ params." + e->name + " }}";
      }
      if (auto k = foldedValue(plan, e, &c.args)) return q(plan::commandText(*k, type));
      unsupported(def->range, "`${" + text(e) + "}` in the command of step `" + def->name + "`");
    };
    auto render = [&](const ExprP& tmpl, bool quote) {
      if (!tmpl) return std::string();
      if (auto lit = tmpl->literalString()) return *lit;
      std::string out;
      for (auto& p : tmpl->parts) {
        if (!p.expr) {
          out += p.text;
          continue;
        }
        if (!quote && p.expr->kind == ExprKind::Arg && argOf(p.expr->name) &&
            !plan::isArtifactType(typeOf(p.expr->name)))
          out += jinja(argOf(p.expr->name)->value, typeOf(p.expr->name), n.range, deps);
        else
          out += part(p.expr, p.type, quote);
      }
      return out;
    };
    std::string command = render(def->run, true);
    for (auto& e : def->env)
      env[e.name] = render(e.value, false);
    std::string image = opt.image;
    if (def->image) {
      auto v = foldedValue(plan, def->image, &c.args);
      if (!v || !v->is_string())
        unsupported(def->range, "the image of step `" + def->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    // Metrics go to Airflow through XCom (the pod's /airflow/xcom/return.json) for conditions.
    std::string xcom;
    for (auto& o : def->outputs)
      if (o.isMetrics())
        xcom += std::string(xcom.empty() ? "" : ", ") + "\\\"" + o.name + "\\\": %s";
    std::string script = "mkdir -p " + shellQuote("/mlp/work/{{ run_id }}/" + id) + " && cd " +
                         shellQuote(srcPath(def->dir)) + " && " + command;
    if (!xcom.empty()) {
      std::string catArgs;
      for (auto& o : def->outputs)
        if (o.isMetrics()) catArgs += " \"$(cat " + shellQuote(outPath(n.id, o.name)) + ")\"";
      script += " && mkdir -p /airflow/xcom && printf '{" + xcom + "}'" + catArgs +
                " > /airflow/xcom/return.json";
    }

    std::string s = "    " + id + " = KubernetesPodOperator(\n";
    s += "        task_id=" + py(id) + ",\n";
    s += "        name=" + py(podNames.name("pod:" + id, "p", "mlpc-" + id)) + ",\n";
    s += "        image=" + py(image) + ",\n";
    s += "        cmds=[\"/bin/sh\", \"-c\"],\n";
    s += "        arguments=[" + py(script) + "],\n";
    if (!env.empty()) {
      s += "        env_vars={";
      bool first = true;
      for (auto it = env.begin(); it != env.end(); ++it) {
        s += std::string(first ? "" : ", ") + py(it.key()) + ": " +
             py(it.value().get<std::string>());
        first = false;
      }
      s += "},\n";
    }
    s += "        volumes=VOLUMES,\n        volume_mounts=VOLUME_MOUNTS,\n";
    double cpu = number(propertyValue(plan, def->resources.cpu, c.args, "resources.cpu", n.range),
                        "resources.cpu", n.range);
    std::string req = "{\"cpu\": " + py(quantity(cpu));
    Json mem = propertyValue(plan, def->resources.memoryBytes, c.args, "resources.memory", n.range);
    if (!mem.is_null())
      req += ", \"memory\": " + py(quantity(std::ceil(number(mem, "resources.memory", n.range))));
    std::string lim = req;
    double gpu = number(propertyValue(plan, def->resources.gpu, c.args, "resources.gpu", n.range),
                        "resources.gpu", n.range);
    if (gpu > 0) lim += ", \"nvidia.com/gpu\": " + py(quantity(std::ceil(gpu)));
    s += "        container_resources=k8s.V1ResourceRequirements(requests=" + req +
         "}, limits=" + lim + "}),\n";
    double attempts =
        number(propertyValue(plan, def->retry.attempts, c.args, "retry.attempts", n.range),
               "retry.attempts", n.range);
    s += "        retries=" + std::to_string(static_cast<long long>(attempts - 1)) + ",\n";
    double backoff =
        number(propertyValue(plan, def->retry.backoffS, c.args, "retry.backoff", n.range),
               "retry.backoff", n.range);
    if (attempts > 1)
      s += "        retry_delay=timedelta(seconds=" + plan::commandText(Json(backoff), "float") +
           "),\n";
    Json timeout = propertyValue(plan, def->timeoutS, c.args, "timeout", n.range);
    if (!timeout.is_null())
      s += "        execution_timeout=timedelta(seconds=" +
           plan::commandText(Json(number(timeout, "timeout", n.range)), "float") + "),\n";
    if (!xcom.empty()) s += "        do_xcom_push=True,\n";
    s += "    )\n";
    tasks += s;
    addEdges(id, deps);
  }

  void pythonTask(const Node& n, const std::string& id, const std::string& op,
                  const std::string& body, std::set<std::string> deps, const std::string& gate) {
    if (!gate.empty()) deps.insert(gate);
    std::string fn = "_" + id;
    functions +=
        "\n\ndef " + fn + "(ti=None, params=None):\n    # " + location(n.range) + "\n" + body;
    tasks += "    " + id + " = " + op + "(task_id=" + py(id) + ", python_callable=" + fn + ")\n";
    addEdges(id, deps);
  }

  std::string srcPath(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    if (path.rfind("@stdlib/", 0) == 0) return opt.stdlibRoot + "/" + path.substr(8);
    return opt.sourceRoot + (path == "." ? "" : "/" + path);
  }

  /// The path of an artifact value in a pod (a step's output, data, a selection's winner).
  std::string artifactPath(const ExprP& v, const std::string& what, const std::string& range,
                           std::set<std::string>& deps) {
    if (v && v->kind == ExprKind::Ref && v->output && !v->lifted) {
      deps.insert(taskId(v->name));
      return outPath(v->name, *v->output);
    }
    if (v && v->kind == ExprKind::Data && plan.data.find(v->name))
      return srcPath(plan.data.find(v->name)->path);
    if (v && v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
        param(v->name)->source()->path.rfind('/', 0) != 0)
      return srcPath(param(v->name)->source()->path);
    if (std::string p = selectedPath(v, deps); !p.empty()) return p;
    unsupported(range, what + " `" + text(v) + "`");
  }

  /// Batch inference: one pod in the server's image runs the stdlib's shard driver, which
  /// starts the server on a local port and posts it every row (docs/export/airflow.md).
  void transformTask(const Node& n, const plan::TransformNode& t, const std::string& gate) {
    const plan::StepDef* server = plan.servers.find(t.server);
    if (!server) unsupported(n.range, "a transform through an unknown server `" + t.server + "`");
    std::string id = taskId(n.id);
    std::set<std::string> deps;
    if (!gate.empty()) deps.insert(gate);
    std::string model = artifactPath(t.model, "the model", n.range, deps);
    std::string data = artifactPath(t.data, "the data", n.range, deps);
    std::string run =
        serverTemplate(plan, *server, server->run, model, kTransformPort, true, "Airflow", n.range);
    bool join = transformJoinSource(plan, t, "Airflow", n.range);
    std::string command =
        transformCommand(*server, t, srcPath("@stdlib/std/sklearn/transform_shard.py"), run,
                         kTransformPort, join, data, outPath(n.id, "predictions"));
    std::string script = "mkdir -p " + shellQuote("/mlp/work/{{ run_id }}/" + id) + " && cd " +
                         shellQuote(srcPath(server->dir)) + " && " + command;
    std::string image = opt.image;
    if (server->image) {
      auto v = foldedValue(plan, server->image, nullptr);
      if (!v || !v->is_string())
        unsupported(server->range,
                    "the image of server `" + server->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    std::string env;
    for (auto& e : server->env)
      env += std::string(env.empty() ? "" : ", ") + py(e.name) + ": " +
             py(serverTemplate(plan, *server, e.value, model, kTransformPort, false, "Airflow",
                               n.range));
    std::string x = "    " + id + " = KubernetesPodOperator(\n";
    x += "        task_id=" + py(id) + ",\n";
    x += "        name=" + py(podNames.name("pod:" + id, "p", "mlpc-" + id)) + ",\n";
    x += "        image=" + py(image) + ",\n";
    x += "        cmds=[\"/bin/sh\", \"-c\"],\n";
    x += "        arguments=[" + py(script) + "],\n";
    if (!env.empty()) x += "        env_vars={" + env + "},\n";
    x += "        volumes=VOLUMES,\n        volume_mounts=VOLUME_MOUNTS,\n    )\n";
    tasks += x;
    addEdges(id, deps);
  }

  /// One list of a selection as a Python expression, and the tasks of its elements (none for a
  /// list known when exporting).
  std::string selectList(const Node& n, const SelectList& l, std::vector<std::string>& tasks,
                         std::set<std::string>& deps) {
    if (l.constant) return "json.loads(" + py(l.constant->dump()) + ")";
    auto it = iterations.find(l.node);
    if (it == iterations.end())
      unsupported(n.range, "`" + text(n.as<plan::ValueNode>()->value) +
                               "`: its list is not the results of a step called in a loop");
    tasks = it->second;
    const plan::StepOutput* o = l.output ? outputOf(l.node, *l.output) : nullptr;
    std::string out = "[";
    for (size_t i = 0; i < tasks.size(); ++i) {
      deps.insert(tasks[i]);
      std::string x;
      if (o && o->isMetrics() && !l.field.empty())
        x = "_metric(ti, " + py(tasks[i]) + ", " + py(*l.output) + ", " + py(l.field) + ")";
      else if (o && o->isMetrics())
        x = "ti.xcom_pull(task_ids=" + py(tasks[i]) + ")[" + py(*l.output) + "]";
      else
        x = py(tasks[i]); // an artifact: the task that wrote it
      out += (i ? ", " : "") + x;
    }
    return out + "]";
  }

  /// argmax/argmin: a PythonOperator that reads the candidates' metrics from XCom and returns
  /// the winner: {"index": I, "task": the winner's task (or None), "value": the item}.
  void selectTask(const Node& n, const Selection& s, const std::string& gate) {
    std::set<std::string> deps;
    std::vector<std::string> itemTasks, scoreTasks;
    std::string items = selectList(n, s.items, itemTasks, deps);
    std::string scores = selectList(n, s.scores, scoreTasks, deps);
    std::string body = "    items = " + items + "\n    scores = " + scores +
                       "\n    i = _select(items, scores, " + (s.argmin ? "True" : "False") + ")\n";
    std::string task = "None";
    if (!itemTasks.empty()) {
      std::string list;
      for (auto& t : itemTasks)
        list += (list.empty() ? "" : ", ") + py(t);
      task = "[" + list + "][i]";
    }
    body += "    return {\"index\": i, \"task\": " + task + ", \"value\": items[i]}\n";
    pythonTask(n, taskId(n.id), "PythonOperator", body, deps, gate);
  }

  void registerTask(const Node& n, const plan::RegisterNode& r, const std::string& gate) {
    const ExprP& m = r.model;
    std::set<std::string> deps;
    std::string modelPath = m ? selectedPath(m, deps) : "";
    if (modelPath.empty() && (!m || m->kind != ExprKind::Ref || !m->output || m->lifted))
      unsupported(n.range, "registering `" + text(m) + "` (only a step's model output)");
    if (modelPath.empty()) {
      deps.insert(taskId(m->name));
      modelPath = outPath(m->name, *m->output);
    }
    std::string id = taskId(n.id);
    if (!gate.empty()) deps.insert(gate);
    const plan::ModelGroup* g = plan.models.find(r.group);
    std::string dir = "/mlp/work/models/" + r.group + "/{{ run_id }}";
    std::string record = "{\"group\": " + py(r.group) +
                         ", \"approval\": " + py(g ? g->approval : "manual") +
                         ", \"run_id\": \"{{ run_id }}\"";
    std::string selId, selPath;
    if (r.metrics && selected(r.metrics, selId, selPath) && selPath.empty()) {
      deps.insert(taskId(selId));
      record +=
          ", \"metrics\": {{ ti.xcom_pull(task_ids='" + taskId(selId) + "')['value'] | tojson }}";
    } else if (std::string t = indexedTask(r.metrics); !t.empty()) {
      deps.insert(t);
      record += ", \"metrics\": {{ ti.xcom_pull(task_ids='" + t + "')['" + *r.metrics->of->output +
                "'] | tojson }}";
    } else if (r.metrics) {
      if (r.metrics->kind != ExprKind::Ref || !r.metrics->output || r.metrics->lifted)
        unsupported(n.range, "the metrics `" + text(r.metrics) + "` of a registration");
      deps.insert(taskId(r.metrics->name));
      record += ", \"metrics\": {{ ti.xcom_pull(task_ids='" + taskId(r.metrics->name) + "')['" +
                *r.metrics->output + "'] | tojson }}";
    }
    record += ", \"tags\": {";
    bool first = true;
    for (auto& t : r.tags) {
      record += std::string(first ? "" : ", ") + py(t.name) + ": \"" +
                jinja(t.value, "string", n.range, deps) + "\"";
      first = false;
    }
    record += "}}";
    std::string script = "mkdir -p " + shellQuote(dir) + " && cp -R " + shellQuote(modelPath) +
                         " " + shellQuote(dir + "/model") +
                         " && printf '%s\\n' \"$MLP_RECORD\" > " +
                         shellQuote(dir + "/registration.json");
    tasks += "    " + id + " = KubernetesPodOperator(\n        task_id=" + py(id) +
             ",\n        name=" + py(podNames.name("pod:" + id, "p", "mlpc-" + id)) +
             ",\n        image=" + py(opt.utilityImage) +
             ",\n        cmds=[\"/bin/sh\", \"-c\"],\n        arguments=[" + py(script) +
             "],\n        env_vars={\"MLP_RECORD\": " + py(record) +
             "},\n        volumes=VOLUMES,\n        volume_mounts=VOLUME_MOUNTS,\n    )\n";
    addEdges(id, deps);
  }

  void walk(const std::vector<Node>& nodes, const std::string& gate) {
    for (auto& n : nodes) {
      if (renamed.count(n.id)) iterations[n.id].push_back(taskId(n.id));
      switch (n.kind()) {
      case plan::NodeKind::Call:
        callTask(n, *n.as<plan::CallNode>(), gate);
        break;
      case plan::NodeKind::Register:
        registerTask(n, *n.as<plan::RegisterNode>(), gate);
        break;
      case plan::NodeKind::Fail: {
        std::set<std::string> deps;
        std::string msg = python(n.as<plan::FailNode>()->message, n.range, deps);
        pythonTask(n, taskId(n.id), "PythonOperator", "    raise RuntimeError(" + msg + ")\n", deps,
                   gate);
        break;
      }
      case plan::NodeKind::Value: {
        auto* v = n.as<plan::ValueNode>();
        if (auto it = selections.find(n.id); it != selections.end()) {
          selectTask(n, it->second, gate);
          break;
        }
        if (v->value && v->value->kind == ExprKind::Call && !foldedValue(plan, v->value, nullptr))
          unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                   "` (argmax and argmin of a loop's results or of a list "
                                   "are expressible; other builtins only on values known "
                                   "when exporting)");
        break;
      }
      case plan::NodeKind::Transform:
        transformTask(n, *n.as<plan::TransformNode>(), gate);
        break;
      case plan::NodeKind::For: {
        auto& f = *n.as<plan::ForNode>();
        std::optional<Json> items = foldedValue(plan, f.over, nullptr);
        if (!items || !items->is_array())
          unsupported(n.range, "a `for` over `" + text(f.over) +
                                   "` (it is unrolled at export, so its list must be known)");
        if (items->size() > kMaxMapLength)
          unsupported(n.range, "a `for` over " + std::to_string(items->size()) +
                                   " items: Airflow maps a task at most 1024 times "
                                   "(max_map_length; docs/export/airflow.md, Limits)");
        size_t i = 0;
        for (auto& item : *items) {
          auto saved = renamed;
          forEachNode(f.body, [&](const Node& x) {
            // Inside an enclosing loop's iteration, from that iteration's name (`s_0_1`).
            auto outer = saved.find(x.id);
            std::string base = outer == saved.end() ? x.id : outer->second;
            renamed[x.id] =
                names.name(base + "#" + std::to_string(i), "t", base + "_" + std::to_string(i));
          });
          loopValue[f.var] = item;
          walk(f.body, gate);
          loopValue.erase(f.var);
          renamed = saved;
          ++i;
        }
        break;
      }
      case plan::NodeKind::If: {
        auto& c = *n.as<plan::IfNode>();
        std::set<std::string> deps;
        std::string cond = python(c.cond, n.range, deps);
        for (bool negated : {false, true}) {
          const auto& branch = negated ? c.otherwise : c.then;
          if (branch.empty()) continue;
          std::string id =
              names.name(n.id + (negated ? "#else" : ""), "t", n.id + (negated ? "_else" : ""));
          pythonTask(n, id, "ShortCircuitOperator",
                     "    return " + std::string(negated ? "not " : "bool") + "(" + cond + ")\n",
                     deps, gate);
          walk(branch, id);
        }
        break;
      }
      }
    }
  }

  std::string file() {
    walk(plan.nodes, "");
    std::string params;
    for (auto& p : plan.pipeline.params) {
      if (plan::isArtifactType(p.type)) continue;
      params += std::string(params.empty() ? "" : ", ") + py(p.name) + ": " +
                (p.value.is_boolean() ? (p.value.get<bool>() ? "True" : "False") : p.value.dump());
    }
    NameAllocator dagIds(false, '_', 250);
    std::string out = "\"\"\"Generated by mlpc " + plan.mlpcVersion +
                      " (mlpc export --to airflow) from pipeline `" + plan.pipeline.name + "` of " +
                      plan.entry + ". Do not edit.\"\"\"\n";
    if (tasks.find("timedelta(") != std::string::npos) out += "from datetime import timedelta\n\n";
    out += "import pendulum\n"
           "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n";
    bool shortCircuit = tasks.find("ShortCircuitOperator(") != std::string::npos;
    bool pythonOp = tasks.find("PythonOperator(") != std::string::npos;
    if (shortCircuit || pythonOp) {
      std::string ops;
      if (pythonOp) ops += "PythonOperator";
      if (shortCircuit) ops += std::string(ops.empty() ? "" : ", ") + "ShortCircuitOperator";
      out += "from airflow.providers.standard.operators.python import " + ops + "\n";
    }
    out += "from airflow.sdk import DAG\nfrom kubernetes.client import models as k8s\n\n";
    if (functions.find("json.loads(") != std::string::npos) {
      // isort's order: the standard library's `import` lines before its `from` lines.
      auto at = out.find("from datetime import timedelta\n");
      if (at != std::string::npos)
        out.insert(at, "import json\n");
      else
        out.insert(out.find("import pendulum\n"), "import json\n\n");
    }
    out +=
        "# Every pod mounts the shared volume where steps leave their outputs for later steps.\n";
    out += "VOLUMES = [k8s.V1Volume(name=\"mlpc-work\", persistent_volume_claim="
           "k8s.V1PersistentVolumeClaimVolumeSource(claim_name=" +
           py(opt.workClaim) + "))]\n";
    out += "VOLUME_MOUNTS = [k8s.V1VolumeMount(name=\"mlpc-work\", mount_path=\"/mlp/work\")]\n";
    if (!functions.empty()) {
      out += "\n\ndef _metric(ti, task_id, output, path):\n"
             "    value = ti.xcom_pull(task_ids=task_id)[output]\n"
             "    for key in path.split(\".\"):\n"
             "        value = value[key]\n"
             "    return value\n";
      if (functions.find("_select(") != std::string::npos)
        out += std::string("\n\n") + selectFunctionPython();
      out += "\n\ndef _text(value):\n"
             "    if isinstance(value, bool):\n"
             "        return \"true\" if value else \"false\"\n"
             "    return str(value)\n";
      out += functions;
    }
    out += "\n\nwith DAG(\n    dag_id=" + py(dagIds.name(plan.pipeline.name, "p")) +
           ",\n    schedule=None,\n    start_date=pendulum.datetime(2024, 1, 1, tz=\"UTC\"),\n"
           "    catchup=False,\n    tags=[\"mlpc\"],\n    params={" +
           params + "},\n) as dag:\n";
    out += tasks.empty() ? "    pass\n" : tasks;
    if (!edges.empty()) {
      out += "\n";
      for (auto& [a, b] : edges)
        out += "    " + a + " >> " + b + "\n";
    }
    return out;
  }
};

} // namespace

Result exportAirflow(const plan::Plan& plan, const Options& options) {
  Result r;
  try {
    Af a(plan, options);
    r.text = a.file();
  } catch (const Unsupported& u) {
    r.problems.push_back({u.range, u.what()});
  }
  return r;
}

} // namespace mlpc::exporter
