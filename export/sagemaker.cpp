// SageMaker Model Building Pipelines: a pipeline definition (JSON, version 2020-12-01) with one
// Processing step per step call (docs/export/sagemaker.md has the mapping and its limits).
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

// Limits of the SageMaker API (botocore's service model, CreateProcessingJob).
constexpr size_t kMaxProcessingInputs = 10; ///< ProcessingInputs items
constexpr double kMaxRuntimeS = 777600;     ///< StoppingCondition.MaxRuntimeInSeconds

const char* const kInputRoot = "/opt/ml/processing/input/";
const char* const kOutputRoot = "/opt/ml/processing/output/";
const char* const kRoleParam = "MlpcRoleArn";

Json get(const std::string& path) {
  return {{"Get", path}};
}

struct Sm {
  const plan::Plan& plan;
  const Options& opt;
  NameAllocator names{false, '-', 64};
  std::map<std::string, const Node*> nodeOf;
  std::set<std::string> single = plan::singleOutputNodes(plan);
  Json steps = Json::array();
  /// A `for` unrolled at export: per loop variable, the current item.
  std::map<std::string, Json> loopValue;
  /// Inside an unrolled body: node id -> step name of this iteration.
  std::map<std::string, std::string> renamed;
  /// A node inside unrolled loops: its step of each iteration, in `mlpc run`'s order.
  std::map<std::string, std::vector<std::string>> iterations;
  /// Computed bindings `argmax`/`argmin`: a selection step each (docs/export/sagemaker.md).
  std::map<std::string, Selection> selections;
  /// Computed bindings SageMaker cannot write out (arithmetic on run-time values): a step each
  /// that computes the value in Python and publishes it as a property file.
  std::set<std::string> computed;

  Sm(const plan::Plan& p, const Options& o) : plan(p), opt(o) {
    forEachNode(plan.nodes, [&](const Node& n) {
      nodeOf[n.id] = &n;
      if (auto* v = n.as<plan::ValueNode>())
        if (auto sel = selectionOf(plan, *v)) selections[n.id] = *sel;
    });
  }

  const Selection* selected(const ExprP& e, std::string& id, std::string& path) {
    return selectionAt(selections, e, id, path);
  }

  std::string indexedStep(const ExprP& e) { return iterationAt(plan, iterations, e); }

  /// An artifact value that is a step's output (`{"step", "output"}` of the step that holds
  /// it: a call, a transform, the winner copied by a selection step, an iteration), or false.
  bool artifactSource(const ExprP& v, std::string& step, std::string& out, std::string& type) {
    if (v && v->kind == ExprKind::Ref && v->output && !v->lifted) {
      step = stepName(v->name);
      out = *v->output;
      auto* o = outputOf(v->name, out);
      type = o ? o->type : "";
      return true;
    }
    std::string id, path;
    if (const Selection* s = selected(v, id, path);
        s && path.empty() && !s->items.node.empty() && s->items.output) {
      step = stepName(id);
      out = *s->items.output;
      auto* o = outputOf(s->items.node, out);
      type = o ? o->type : "";
      return true;
    }
    if (std::string st = indexedStep(v); !st.empty()) {
      step = st;
      out = *v->of->output;
      auto* o = outputOf(v->of->name, out);
      type = o ? o->type : "";
      return true;
    }
    return false;
  }

  [[noreturn]] void unsupported(const std::string& range, const std::string& what) {
    throw Unsupported(range, "SageMaker Pipelines cannot express " + what);
  }
  std::string text(const ExprP& e) { return plan::sourceText(e, single); }

  std::string stepName(const std::string& id) {
    if (auto it = renamed.find(id); it != renamed.end()) return it->second;
    return names.name(id, "s");
  }

  const plan::PipelineParam* param(const std::string& name) { return findParam(plan, name); }

  const plan::StepOutput* outputOf(const std::string& id, const std::string& out) {
    return callOutput(plan, nodeOf, id, out);
  }

  std::string outputUri(const std::string& id, const std::string& out) {
    return stepOutputUri(stepName(id), out);
  }
  static std::string stepOutputUri(const std::string& step, const std::string& out) {
    return "Steps." + step + ".ProcessingOutputConfig.Outputs['" + out + "'].S3Output.S3Uri";
  }
  static Json s3Input(const std::string& name, const Json& uri, const std::string& dir) {
    return {{"InputName", name},
            {"AppManaged", false},
            {"S3Input",
             {{"S3Uri", uri},
              {"LocalPath", dir},
              {"S3DataType", "S3Prefix"},
              {"S3InputMode", "File"},
              {"S3DataDistributionType", "FullyReplicated"}}}};
  }
  /// Where a job writes output `out`: PREFIX/EXECUTION-ID/STEP/OUTPUT.
  Json outputLocation(const std::string& step, const std::string& out) {
    return {{"Std:Join",
             {{"On", "/"},
              {"Values",
               Json::array({opt.s3Prefix, get("Execution.PipelineExecutionId"), step, out})}}}};
  }

  const plan::ValueNode* valueNode(const Expr& e) {
    if (e.kind != ExprKind::Ref || e.lifted || e.output) return nullptr;
    auto it = nodeOf.find(e.name);
    return it == nodeOf.end() ? nullptr : it->second->as<plan::ValueNode>();
  }

  // ---- values -------------------------------------------------------------------------------

  /// A value for an argument, a condition operand or a message: a JSON literal, `{"Get": …}`,
  /// `{"Std:JsonGet": …}` or `{"Std:Join": …}`.
  Json value(const ExprP& e, const std::string& type, const std::string& range,
             std::set<std::string>& deps, bool asText) {
    if (!e) unsupported(range, "a missing value");
    std::string selId, selPath;
    if (selected(e, selId, selPath)) {
      deps.insert(stepName(selId));
      return {{"Std:JsonGet",
               {{"PropertyFile",
                 get("Steps." + stepName(selId) + ".PropertyFiles." + selectionFile(selId))},
                {"Path", "value" + (selPath.empty() ? "" : "." + selPath)}}}};
    }
    switch (e->kind) {
    case ExprKind::Lit:
      return asText ? Json(plan::commandText(e->value, type)) : e->value;
    case ExprKind::Param: {
      auto* p = param(e->name);
      if (p && !plan::isArtifactType(p->type) && p->type.rfind("list<", 0) != 0)
        return get("Parameters." + e->name);
      break;
    }
    case ExprKind::Var:
      if (auto it = loopValue.find(e->name); it != loopValue.end())
        return asText ? Json(plan::commandText(it->second, type)) : it->second;
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
          deps.insert(stepName(of->name));
          return {{"Std:JsonGet",
                   {{"PropertyFile", get("Steps." + stepName(of->name) + ".PropertyFiles." +
                                         propertyFile(of->name, *of->output))},
                    {"Path", path}}}};
        }
      }
      if (std::string st = indexedStep(of); !st.empty()) {
        auto* o = outputOf(of->of->name, *of->of->output);
        if (o && o->isMetrics()) {
          deps.insert(st);
          return {{"Std:JsonGet",
                   {{"PropertyFile", get("Steps." + st + ".PropertyFiles." +
                                         names.name("pf:" + st + "." + *of->of->output, "p",
                                                    st + "-" + *of->of->output))},
                    {"Path", path}}}};
        }
      }
      break;
    }
    case ExprKind::Ref:
      if (computed.count(e->name) && !e->output && !e->lifted) {
        deps.insert(stepName(e->name));
        return {{"Std:JsonGet",
                 {{"PropertyFile",
                   get("Steps." + stepName(e->name) + ".PropertyFiles." + valueFile(e->name))},
                  {"Path", "value"}}}};
      }
      if (const plan::ValueNode* v = valueNode(*e))
        return value(v->value, type, range, deps, asText);
      break;
    case ExprKind::Interp: {
      Json parts = Json::array();
      std::string textSoFar;
      bool allText = true;
      for (auto& p : e->parts) {
        Json v = p.expr ? value(p.expr, p.type, range, deps, true) : Json(p.text);
        if (v.is_string()) {
          textSoFar += v.get<std::string>();
          continue;
        }
        allText = false;
        if (!textSoFar.empty()) parts.push_back(textSoFar);
        textSoFar.clear();
        parts.push_back(v);
      }
      if (allText) return textSoFar;
      if (!textSoFar.empty()) parts.push_back(textSoFar);
      return {{"Std:Join", {{"On", ""}, {"Values", parts}}}};
    }
    case ExprKind::Call:
      if (auto n = loopResultsLength(plan, *e)) return asText ? Json(std::to_string(*n)) : Json(*n);
      break;
    default:
      break;
    }
    if (auto k = foldedValue(plan, e, nullptr); k && !mentions(*e, ExprKind::Param))
      return asText ? Json(plan::commandText(*k, type)) : *k;
    unsupported(range, "`" + text(e) +
                           "` as a value (only literals, parameters, fields of a "
                           "step's metrics and text made of them)");
  }

  static bool mentions(const Expr& e, ExprKind k) {
    if (e.kind == k) return true;
    for (auto& i : e.items)
      if (i && mentions(*i, k)) return true;
    return false;
  }

  std::string propertyFile(const std::string& id, const std::string& out) {
    return names.name("pf:" + stepName(id) + "." + out, "p", stepName(id) + "-" + out);
  }
  std::string valueFile(const std::string& id) {
    return names.name("pf:" + stepName(id) + ".value", "p", stepName(id) + "-value");
  }
  std::string selectionFile(const std::string& id) {
    return names.name("pf:" + stepName(id) + ".selection", "p", stepName(id) + "-selection");
  }

  // ---- conditions -----------------------------------------------------------------------------

  static const char* binaryType(const std::string& op, bool negated) {
    static const std::map<std::string, std::pair<const char*, const char*>> m = {
        {">=", {"GreaterThanOrEqualTo", "LessThan"}},
        {">", {"GreaterThan", "LessThanOrEqualTo"}},
        {"<", {"LessThan", "GreaterThanOrEqualTo"}},
        {"<=", {"LessThanOrEqualTo", "GreaterThan"}},
        {"==", {"Equals", "NotEquals"}},
        {"!=", {"NotEquals", "Equals"}}};
    auto it = m.find(op);
    if (it == m.end()) return nullptr;
    return negated ? it->second.second : it->second.first;
  }

  /// The condition as SageMaker's list of conditions (all must hold), negated when asked.
  /// Comparisons, `and`, `or` of comparisons and `not` are expressible.
  void conditions(const ExprP& e, bool negated, const std::string& range,
                  std::set<std::string>& deps, Json& out) {
    if (e && e->kind == ExprKind::Ref && computed.count(e->name)) {
      // A bool computed by a step of its own: compare its property with true.
      out.push_back({{"Type", negated ? "NotEquals" : "Equals"},
                     {"LeftValue", value(e, "", range, deps, false)},
                     {"RightValue", true}});
      return;
    }
    if (e && e->kind == ExprKind::Ref)
      if (const plan::ValueNode* v = valueNode(*e))
        return conditions(v->value, negated, range, deps, out);
    if (e && e->kind == ExprKind::Op) {
      if (e->name == "not" && e->items.size() == 1)
        return conditions(e->items[0], !negated, range, deps, out);
      if (const char* t = binaryType(e->name, negated); t && e->items.size() == 2) {
        out.push_back({{"Type", t},
                       {"LeftValue", value(e->items[0], "", range, deps, false)},
                       {"RightValue", value(e->items[1], "", range, deps, false)}});
        return;
      }
      bool conj = (e->name == "and") != negated; // not (a or b) = not a and not b
      if ((e->name == "and" || e->name == "or") && e->items.size() == 2) {
        if (conj) {
          conditions(e->items[0], negated, range, deps, out);
          conditions(e->items[1], negated, range, deps, out);
          return;
        }
        Json any = Json::array();
        for (auto& i : e->items) {
          Json sub = Json::array();
          conditions(i, negated, range, deps, sub);
          for (auto& s : sub) {
            if (s.value("Type", "") == "Or") // (a or b) or c
              for (auto& x : s.at("Conditions"))
                any.push_back(x);
            else if (sub.size() == 1)
              any.push_back(s);
            else
              unsupported(range, "the condition `" + text(e) + "` (an `or` of `and`s)");
          }
        }
        out.push_back({{"Type", "Or"}, {"Conditions", any}});
        return;
      }
    }
    unsupported(range, "the condition `" + text(e) +
                           "` (only comparisons, and `and`, `or`, `not` over them)");
  }

  // ---- steps ----------------------------------------------------------------------------------

  void addDepends(Json& step, std::set<std::string> deps) {
    deps.erase(step.at("Name").get<std::string>());
    if (!deps.empty()) step["DependsOn"] = Json(std::vector<std::string>(deps.begin(), deps.end()));
  }

  double number(const Json& v, const std::string& what, const std::string& range) {
    if (!v.is_number()) throw Unsupported(range, "`" + what + "` is not a number");
    return v.get<double>();
  }

  /// A command of a job mlpc adds (a selection, a computed binding, a batch inference) as
  /// ContainerArguments, within SageMaker's limits (export/support: containerArguments).
  Json splitArguments(const Node& n, const std::string& script) {
    return containerArguments(script, n.id, n.range, "SageMaker Pipelines",
                              "docs/export/sagemaker.md");
  }

  Json processingStep(const Node& n, const plan::CallNode& c) {
    const plan::StepDef* def = plan.steps.find(c.step);
    if (!def) unsupported(n.range, "a call of an unknown step `" + c.step + "`");
    std::string name = stepName(n.id);
    std::set<std::string> deps;
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
          std::string srcStep, srcOut, srcType;
          if (artifactSource(v, srcStep, srcOut, srcType)) {
            std::string dir = kInputRoot + e->name;
            if (declared.insert("a:" + e->name).second) {
              deps.insert(srcStep);
              inputs.push_back(s3Input(e->name, get(stepOutputUri(srcStep, srcOut)), dir));
            }
            return q(srcType == "Dir" ? dir : dir + "/" + srcOut);
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
        if (v->kind == ExprKind::Param && ptype.rfind("list<", 0) == 0 && quote)
          if (auto k = foldedValue(plan, v, nullptr); k && k->is_array()) {
            // List parameters are not pipeline parameters: their value at export, a word each.
            std::string words;
            for (auto& x : *k)
              words += (words.empty() ? "" : " ") + shellQuote(plan::commandText(x, ""));
            return words;
          }
        Json val = value(v, ptype, n.range, deps, true);
        if (val.is_string()) return q(val.get<std::string>());
        if (ptype.rfind("list<", 0) == 0)
          unsupported(n.range,
                      "the list argument `" + e->name + " = " + text(v) + "` in a command");
        std::string var = "MLP_ARG_" + e->name;
        env[var] = val;
        return quote ? "\"$" + var + "\"" : "$" + var;
      }
      if (auto k = foldedValue(plan, e, &c.args)) return q(plan::commandText(*k, type));
      unsupported(def->range, "`${" + text(e) + "}` in the command of step `" + def->name + "`");
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
    // An environment value: text, or a Std:Join of text and the arguments' values.
    for (auto& e : def->env) {
      if (!e.value) continue;
      if (auto lit = e.value->literalString()) {
        env[e.name] = *lit;
        continue;
      }
      Json parts = Json::array();
      std::string pending;
      for (auto& p : e.value->parts) {
        Json v;
        if (!p.expr)
          v = p.text;
        else if (p.expr->kind == ExprKind::Arg && argOf(p.expr->name) &&
                 !plan::isArtifactType(typeOf(p.expr->name)))
          v = value(argOf(p.expr->name)->value, typeOf(p.expr->name), n.range, deps, true);
        else
          v = part(p.expr, p.type, false);
        if (v.is_string()) {
          pending += v.get<std::string>();
          continue;
        }
        if (!pending.empty()) parts.push_back(pending);
        pending.clear();
        parts.push_back(v);
      }
      if (parts.empty()) {
        env[e.name] = pending;
        continue;
      }
      if (!pending.empty()) parts.push_back(pending);
      env[e.name] =
          parts.size() == 1 ? parts[0] : Json{{"Std:Join", {{"On", ""}, {"Values", parts}}}};
    }
    std::string image = opt.image;
    if (def->image) {
      auto v = foldedValue(plan, def->image, &c.args);
      if (!v || !v->is_string())
        unsupported(def->range, "the image of step `" + def->name + "`, known only at run time");
      image = v->get<std::string>();
    }

    Json args =
        containerArguments("cd " + shellQuote(srcPath(def->dir)) + " && " + command, def->name,
                           n.range, "SageMaker Pipelines", "docs/export/sagemaker.md");
    if (inputs.size() > kMaxProcessingInputs)
      unsupported(n.range, "step `" + def->name + "` with " + std::to_string(inputs.size()) +
                               " inputs from other steps: a processing job takes at most 10 "
                               "ProcessingInputs (docs/export/sagemaker.md, Limits)");

    std::string instance = instanceType(plan, *def, c.args, n.range, "SageMaker Pipelines",
                                        "docs/export/sagemaker.md");

    Json outputs = Json::array(), propertyFiles = Json::array();
    for (auto& o : def->outputs) {
      outputs.push_back({{"OutputName", o.name},
                         {"AppManaged", false},
                         {"S3Output",
                          {{"S3Uri", outputLocation(name, o.name)},
                           {"LocalPath", kOutputRoot + o.name},
                           {"S3UploadMode", "EndOfJob"}}}});
      if (o.isMetrics())
        propertyFiles.push_back({{"PropertyFileName", propertyFile(n.id, o.name)},
                                 {"OutputName", o.name},
                                 {"FilePath", o.name}});
    }
    Json a = {{"ProcessingResources",
               {{"ClusterConfig",
                 {{"InstanceType", instance}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}}}},
              {"AppSpecification",
               {{"ImageUri", image},
                {"ContainerEntrypoint", Json::array({"/bin/sh", "-c", "eval \"$*\"", "mlpc-step"})},
                {"ContainerArguments", args}}},
              {"RoleArn", get(std::string("Parameters.") + kRoleParam)}};
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
    Json step = {{"Name", name}, {"Type", "Processing"}, {"Arguments", a}};
    addDepends(step, deps);
    if (!propertyFiles.empty()) step["PropertyFiles"] = propertyFiles;
    double attempts =
        number(propertyValue(plan, def->retry.attempts, c.args, "retry.attempts", n.range),
               "retry.attempts", n.range);
    if (attempts > 1) {
      double backoff =
          number(propertyValue(plan, def->retry.backoffS, c.args, "retry.backoff", n.range),
                 "retry.backoff", n.range);
      Json policies = Json::array();
      for (const char* ex : {"SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"})
        policies.push_back({{"ExceptionType", ex},
                            {"IntervalSeconds", std::max(1LL, std::llround(std::ceil(backoff)))},
                            {"BackoffRate", 1.0},
                            {"MaxAttempts", static_cast<long long>(attempts - 1)}});
      step["RetryPolicies"] = policies;
    }
    return step;
  }

  /// Batch inference: a Processing job in the server's image (or `--image`) runs the stdlib's
  /// shard driver, which starts the server in the job on a local port and posts it every row;
  /// the predictions are the job's output `predictions` (docs/export/sagemaker.md).
  Json transformStep(const Node& n, const plan::TransformNode& t) {
    const plan::StepDef* server = plan.servers.find(t.server);
    if (!server) unsupported(n.range, "a transform through an unknown server `" + t.server + "`");
    std::string name = stepName(n.id);
    std::set<std::string> deps;
    Json inputs = Json::array();
    auto srcPath = [&](const std::string& path) {
      if (!path.empty() && path[0] == '/') return path;
      if (path.rfind("@stdlib/", 0) == 0) return opt.stdlibRoot + "/" + path.substr(8);
      return opt.sourceRoot + (path == "." ? "" : "/" + path);
    };
    auto artifact = [&](const ExprP& v, const std::string& input) -> std::string {
      std::string st, out, type;
      if (artifactSource(v, st, out, type)) {
        deps.insert(st);
        std::string dir = kInputRoot + input;
        inputs.push_back(s3Input(input, get(stepOutputUri(st, out)), dir));
        return type == "Dir" ? dir : dir + "/" + out;
      }
      if (v && v->kind == ExprKind::Data && plan.data.find(v->name))
        return srcPath(plan.data.find(v->name)->path);
      if (v && v->kind == ExprKind::Param && param(v->name) && param(v->name)->source() &&
          param(v->name)->source()->path.rfind('/', 0) != 0)
        return srcPath(param(v->name)->source()->path);
      unsupported(n.range, "the " + input + " `" + text(v) + "` of a batch inference");
    };
    std::string model = artifact(t.model, "model");
    std::string data = artifact(t.data, "data");
    std::string run = serverTemplate(plan, *server, server->run, model, kTransformPort, true,
                                     "SageMaker Pipelines", n.range);
    bool join = transformJoinSource(plan, t, "SageMaker Pipelines", n.range);
    std::string out = std::string(kOutputRoot) + "predictions";
    std::string script =
        "mkdir -p " + out + " && cd " + shellQuote(srcPath(server->dir)) + " && " +
        transformCommand(*server, t, srcPath("@stdlib/std/sklearn/transform_shard.py"), run,
                         kTransformPort, join, data, out + "/predictions");
    std::string image = opt.image;
    if (server->image) {
      auto v = foldedValue(plan, server->image, nullptr);
      if (!v || !v->is_string())
        unsupported(server->range,
                    "the image of server `" + server->name + "`, known only at run time");
      image = v->get<std::string>();
    }
    Json env = Json::object();
    for (auto& e : server->env)
      env[e.name] = serverTemplate(plan, *server, e.value, model, kTransformPort, false,
                                   "SageMaker Pipelines", n.range);
    Json a = {{"ProcessingResources",
               {{"ClusterConfig",
                 {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}}}},
              {"AppSpecification",
               {{"ImageUri", image},
                {"ContainerEntrypoint", Json::array({"/bin/sh", "-c", "eval \"$*\"", "mlpc-step"})},
                {"ContainerArguments", splitArguments(n, script)}}},
              {"RoleArn", get(std::string("Parameters.") + kRoleParam)}};
    if (!env.empty()) a["Environment"] = env;
    if (!inputs.empty()) a["ProcessingInputs"] = inputs;
    a["ProcessingOutputConfig"] = {
        {"Outputs", Json::array({{{"OutputName", "predictions"},
                                  {"AppManaged", false},
                                  {"S3Output",
                                   {{"S3Uri", outputLocation(name, "predictions")},
                                    {"LocalPath", out},
                                    {"S3UploadMode", "EndOfJob"}}}}})}};
    Json step = {{"Name", name}, {"Type", "Processing"}, {"Arguments", a}};
    addDepends(step, deps);
    return step;
  }

  /// A computed binding as Python, reading the files of the step outputs it uses (inputs added
  /// to `inputs`) and the pipeline parameters (environment variables added to `env`).
  std::string pyExpr(const Node& n, const ExprP& e, Json& inputs, Json& env,
                     std::set<std::string>& deps, std::map<std::string, std::string>& files) {
    auto fail = [&]() -> std::string {
      unsupported(n.range, "the computed binding `" + n.id + " = " +
                               text(n.as<plan::ValueNode>()->value) + "`: `" + text(e) +
                               "` cannot be computed by a step (only literals, parameters, "
                               "fields of metrics, selections and operators on them)");
    };
    if (!e) return fail();
    auto input = [&](const std::string& step, const std::string& out) {
      std::string key = step + "/" + out;
      if (auto it = files.find(key); it != files.end()) return it->second;
      std::string in = "v" + std::to_string(files.size());
      inputs.push_back(s3Input(in, get(stepOutputUri(step, out)), kInputRoot + in));
      deps.insert(step);
      return files[key] = kInputRoot + in + "/" + out;
    };
    switch (e->kind) {
    case ExprKind::Lit:
      if (e->value.is_boolean()) return e->value.get<bool>() ? "True" : "False";
      if (e->value.is_number() || e->value.is_string()) return e->value.dump();
      break;
    case ExprKind::Param: {
      auto* p = param(e->name);
      if (!p || plan::isArtifactType(p->type) || p->type.rfind("list<", 0) == 0) break;
      env["MLP_P_" + e->name] = get("Parameters." + e->name);
      std::string raw = "os.environ[" + Json("MLP_P_" + e->name).dump() + "]";
      if (p->type == "string") return raw;
      if (p->type == "bool") return "(" + raw + ".lower() == \"true\")";
      if (p->type == "int") return "int(" + raw + ")";
      return "float(" + raw + ")";
    }
    case ExprKind::Var:
      if (auto it = loopValue.find(e->name); it != loopValue.end()) {
        if (it->second.is_boolean()) return it->second.get<bool>() ? "True" : "False";
        return it->second.dump();
      }
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
        if (o && o->isMetrics())
          return "field(" + Json(input(stepName(of->name), *of->output)).dump() + ", " +
                 Json(path).dump() + ")";
      }
      if (of && of->kind == ExprKind::Ref && !of->lifted && selections.count(of->name))
        return "field(" + Json(input(stepName(of->name), "selection")).dump() + ", " +
               Json("value." + path).dump() + ")";
      break;
    }
    case ExprKind::Ref:
      if (e->output || e->lifted) break;
      if (computed.count(e->name))
        return "field(" + Json(input(stepName(e->name), "value")).dump() + ", \"value\")";
      if (selections.count(e->name))
        return "field(" + Json(input(stepName(e->name), "selection")).dump() + ", \"value\")";
      if (const plan::ValueNode* v = valueNode(*e))
        return "(" + pyExpr(n, v->value, inputs, env, deps, files) + ")";
      break;
    case ExprKind::Op: {
      static const std::map<std::string, std::string> ops = {
          {"and", "and"}, {"or", "or"}, {"+", "+"}, {"-", "-"},   {"*", "*"},   {"/", "/"},
          {"<", "<"},     {"<=", "<="}, {">", ">"}, {">=", ">="}, {"==", "=="}, {"!=", "!="}};
      if (e->items.size() == 1 && (e->name == "not" || e->name == "neg"))
        return std::string(e->name == "not" ? "not " : "-") + "(" +
               pyExpr(n, e->items[0], inputs, env, deps, files) + ")";
      auto it = ops.find(e->name);
      if (it != ops.end() && e->items.size() == 2)
        return "(" + pyExpr(n, e->items[0], inputs, env, deps, files) + " " + it->second + " " +
               pyExpr(n, e->items[1], inputs, env, deps, files) + ")";
      break;
    }
    default:
      if (auto k = foldedValue(plan, e, nullptr); k && (k->is_number() || k->is_string()))
        return k->dump();
      break;
    }
    return fail();
  }

  /// A computed binding SageMaker cannot write out (`gap = t.metrics.auc - limit`): a Processing
  /// job (`--image`, with python3) computes it from the metrics files and parameters and writes
  /// `{"value": V}` as the property file `NAME-value`, which conditions and values read.
  Json computeStep(const Node& n, const plan::ValueNode& v) {
    std::string name = stepName(n.id);
    std::set<std::string> deps;
    Json inputs = Json::array(), env = Json::object();
    std::map<std::string, std::string> files;
    std::string expr = pyExpr(n, v.value, inputs, env, deps, files);
    if (inputs.size() > kMaxProcessingInputs)
      unsupported(n.range, "the computed binding `" + n.id + "`: it reads " +
                               std::to_string(inputs.size()) +
                               " step outputs, and a processing job takes at most 10 "
                               "ProcessingInputs");
    std::string script = std::string("import json\nimport os\n\n\n") +
                         "def field(path, keys):\n"
                         "    with open(path) as f:\n"
                         "        value = json.load(f)\n"
                         "    for key in keys.split(\".\"):\n"
                         "        value = value[key]\n"
                         "    return value\n\n\n"
                         "value = " +
                         expr + "\nos.makedirs(\"" + kOutputRoot + "value\", exist_ok=True)\n" +
                         "with open(\"" + kOutputRoot + "value/value\", \"w\") as f:\n" +
                         "    json.dump({\"value\": value}, f)\n";
    Json a = {
        {"ProcessingResources",
         {{"ClusterConfig",
           {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}}}},
        {"AppSpecification",
         {{"ImageUri", opt.image},
          {"ContainerEntrypoint", Json::array({"/bin/sh", "-c", "eval \"$*\"", "mlpc-step"})},
          {"ContainerArguments", splitArguments(n, "/usr/bin/python3 -c " + shellQuote(script))}}},
        {"RoleArn", get(std::string("Parameters.") + kRoleParam)}};
    if (!env.empty()) a["Environment"] = env;
    if (!inputs.empty()) a["ProcessingInputs"] = inputs;
    a["ProcessingOutputConfig"] = {
        {"Outputs", Json::array({{{"OutputName", "value"},
                                  {"AppManaged", false},
                                  {"S3Output",
                                   {{"S3Uri", outputLocation(name, "value")},
                                    {"LocalPath", kOutputRoot + std::string("value")},
                                    {"S3UploadMode", "EndOfJob"}}}}})}};
    Json step = {{"Name", name}, {"Type", "Processing"}, {"Arguments", a}};
    addDepends(step, deps);
    step["PropertyFiles"] = Json::array(
        {{{"PropertyFileName", valueFile(n.id)}, {"OutputName", "value"}, {"FilePath", "value"}}});
    return step;
  }

  /// argmax/argmin: a Processing job (`--image`, which has python3) that reads the candidates'
  /// outputs (each an input, or the execution's whole S3 prefix past 10), picks the winner as
  /// `mlpc run` does and writes a copy of the winner's output under the same output name, and
  /// `selection` ({"index", "value"}) as a property file for conditions and values.
  Json selectStep(const Node& n, const Selection& sel) {
    std::string name = stepName(n.id);
    std::set<std::string> deps;
    // (step, output) of every candidate file the script reads, in order.
    std::vector<std::pair<std::string, std::string>> reads;
    auto list = [&](const SelectList& l, bool isItems) -> std::string {
      if (l.constant) return "json.loads(" + Json(l.constant->dump()).dump() + ")";
      auto it = iterations.find(l.node);
      if (it == iterations.end() || !l.output)
        unsupported(n.range, "`" + text(n.as<plan::ValueNode>()->value) +
                                 "`: its list is not the results of a step called in a loop");
      auto* o = outputOf(l.node, *l.output);
      std::string out = "[";
      for (size_t i = 0; i < it->second.size(); ++i) {
        deps.insert(it->second[i]);
        reads.emplace_back(it->second[i], *l.output);
        std::string path = "source(" + Json(it->second[i]).dump() + ", " + Json(*l.output).dump() +
                           ", " + (o && o->type == "Dir" ? "True" : "False") + ")";
        if (o && o->isMetrics())
          path =
              "field(json.load(open(" + path + ")), " + Json(isItems ? "" : l.field).dump() + ")";
        out += (i ? ", " : "") + path;
      }
      return out + "]";
    };
    std::string items = list(sel.items, true), scores = list(sel.scores, false);
    // The candidates' outputs: one input each, or past SageMaker's 10 the execution's prefix.
    std::vector<std::pair<std::string, std::string>> unique;
    for (auto& r : reads)
      if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(r);
    Json inputs = Json::array();
    std::string sourceFn;
    if (unique.size() > kMaxProcessingInputs) {
      Json prefix = {
          {"Std:Join",
           {{"On", "/"},
            {"Values", Json::array({opt.s3Prefix, get("Execution.PipelineExecutionId")})}}}};
      inputs.push_back(s3Input("execution", prefix, std::string(kInputRoot) + "execution"));
      sourceFn = "def source(step, out, is_dir):\n    d = \"" + std::string(kInputRoot) +
                 "execution/\" + step + \"/\" + out\n    return d if is_dir else d + \"/\" + out\n";
    } else {
      std::string table;
      size_t i = 0;
      for (auto& [st, out] : unique) {
        std::string in = "c" + std::to_string(i++);
        inputs.push_back(s3Input(in, get(stepOutputUri(st, out)), kInputRoot + in));
        table += (table.empty() ? "" : ", ") + Json(st + "/" + out).dump() + ": " +
                 Json(kInputRoot + in).dump();
      }
      sourceFn = "INPUTS = {" + table +
                 "}\n\n\ndef source(step, out, is_dir):\n    d = INPUTS[step + \"/\" + out]\n"
                 "    return d if is_dir else d + \"/\" + out\n";
    }
    std::string script = std::string("import json\nimport os\nimport shutil\n\n\n") +
                         selectFunctionPython() + "\n\n" + sourceFn +
                         "\n\ndef field(value, path):\n"
                         "    for key in path.split(\".\") if path else []:\n"
                         "        value = value[key]\n"
                         "    return value\n\n\n"
                         "items = " +
                         items + "\nscores = " + scores + "\ni = _select(items, scores, " +
                         (sel.argmin ? "True" : "False") + ")\n";
    Json outputs = Json::array();
    auto output = [&](const std::string& out) {
      outputs.push_back({{"OutputName", out},
                         {"AppManaged", false},
                         {"S3Output",
                          {{"S3Uri", outputLocation(name, out)},
                           {"LocalPath", kOutputRoot + out},
                           {"S3UploadMode", "EndOfJob"}}}});
    };
    if (!sel.items.node.empty() && sel.items.output) {
      // The winner's output, copied under the same name: later steps read it as if the
      // selection had made it.
      const std::string& out = *sel.items.output;
      std::string cands;
      for (auto& st : iterations.find(sel.items.node)->second)
        cands += (cands.empty() ? "" : ", ") + Json(st).dump();
      auto* o = outputOf(sel.items.node, out);
      script += "shutil.copytree(source([" + cands + "][i], " + Json(out).dump() + ", True), " +
                Json(kOutputRoot + out).dump() + ", dirs_exist_ok=True)\n";
      script += std::string("value = ") + (o && o->isMetrics() ? "items[i]" : "None") + "\n";
      output(out);
    } else {
      script += "value = items[i]\n";
    }
    script += std::string("os.makedirs(\"") + kOutputRoot + "selection\", exist_ok=True)\n" +
              "with open(\"" + kOutputRoot + "selection/selection\", \"w\") as f:\n" +
              "    json.dump({\"index\": i, \"value\": value}, f)\n";
    output("selection");
    Json a = {
        {"ProcessingResources",
         {{"ClusterConfig",
           {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}}}},
        {"AppSpecification",
         {{"ImageUri", opt.image},
          {"ContainerEntrypoint", Json::array({"/bin/sh", "-c", "eval \"$*\"", "mlpc-step"})},
          {"ContainerArguments", splitArguments(n, "/usr/bin/python3 -c " + shellQuote(script))}}},
        {"RoleArn", get(std::string("Parameters.") + kRoleParam)}};
    a["ProcessingInputs"] = inputs;
    a["ProcessingOutputConfig"] = {{"Outputs", outputs}};
    Json step = {{"Name", name}, {"Type", "Processing"}, {"Arguments", a}};
    addDepends(step, deps);
    step["PropertyFiles"] = Json::array({{{"PropertyFileName", selectionFile(n.id)},
                                          {"OutputName", "selection"},
                                          {"FilePath", "selection"}}});
    return step;
  }

  Json registerStep(const Node& n, const plan::RegisterNode& r) {
    std::set<std::string> deps;
    const ExprP& m = r.model;
    std::string mStep, mOut, mType;
    if (!artifactSource(m, mStep, mOut, mType))
      unsupported(n.range, "registering `" + text(m) + "` (only a step's model output)");
    deps.insert(mStep);
    const plan::ModelGroup* g = plan.models.find(r.group);
    std::string image = opt.image;
    if (g && g->serve)
      if (const plan::StepDef* s = plan.servers.find(*g->serve); s && s->image)
        if (auto v = foldedValue(plan, s->image, nullptr); v && v->is_string())
          image = v->get<std::string>();
    NameAllocator groupName(false, '-', 63);
    Json a = {
        {"ModelPackageGroupName", groupName.name(r.group, "g")},
        {"ModelApprovalStatus", g && g->approval == "auto" ? "Approved" : "PendingManualApproval"},
        {"InferenceSpecification",
         {{"Containers",
           Json::array({{{"Image", image}, {"ModelDataUrl", get(stepOutputUri(mStep, mOut))}}})},
          {"SupportedContentTypes", Json::array({"text/csv"})},
          {"SupportedResponseMIMETypes", Json::array({"text/csv"})}}}};
    if (r.metrics) {
      const ExprP& x = r.metrics;
      std::string xStep, xOut, xType;
      if (!artifactSource(x, xStep, xOut, xType))
        unsupported(n.range, "the metrics `" + text(x) +
                                 "` of a registration (only a step's "
                                 "metrics output)");
      deps.insert(xStep);
      a["ModelMetrics"] = {
          {"ModelQuality",
           {{"Statistics",
             {{"ContentType", "application/json"}, {"S3Uri", get(stepOutputUri(xStep, xOut))}}}}}};
    }
    if (!r.tags.empty()) {
      Json props = Json::object();
      for (auto& t : r.tags) {
        props[t.name] = value(t.value, "string", n.range, deps, true);
      }
      a["CustomerMetadataProperties"] = props;
    }
    Json step = {{"Name", stepName(n.id)}, {"Type", "RegisterModel"}, {"Arguments", a}};
    addDepends(step, deps);
    return step;
  }

  Json failStep(const Node& n, const plan::FailNode& f) {
    std::set<std::string> deps;
    Json msg = value(f.message, "string", n.range, deps, true);
    Json step = {
        {"Name", stepName(n.id)}, {"Type", "Fail"}, {"Arguments", {{"ErrorMessage", msg}}}};
    addDepends(step, deps);
    return step;
  }

  /// Walks a node list; steps go to `into`. `path` holds the conditions of the enclosing
  /// branches (SageMaker allows no Condition step inside a branch, so a nested `if` becomes
  /// top-level Condition steps whose conditions include its branch's).
  void walk(const std::vector<Node>& nodes, Json& into, const Json& path,
            const std::set<std::string>& pathDeps) {
    for (auto& n : nodes) {
      if (renamed.count(n.id)) iterations[n.id].push_back(stepName(n.id));
      switch (n.kind()) {
      case plan::NodeKind::Call:
        into.push_back(processingStep(n, *n.as<plan::CallNode>()));
        break;
      case plan::NodeKind::Register:
        into.push_back(registerStep(n, *n.as<plan::RegisterNode>()));
        break;
      case plan::NodeKind::Fail:
        into.push_back(failStep(n, *n.as<plan::FailNode>()));
        break;
      case plan::NodeKind::Value: {
        auto* v = n.as<plan::ValueNode>();
        if (auto it = selections.find(n.id); it != selections.end()) {
          into.push_back(selectStep(n, it->second));
          break;
        }
        {
          std::set<std::string> probeDeps;
          try {
            value(v->value, v->type, n.range, probeDeps, false);
          } catch (const Unsupported&) {
            into.push_back(computeStep(n, *v));
            computed.insert(n.id);
            break;
          }
        }
        if (v->value && v->value->kind == ExprKind::Call && !foldedValue(plan, v->value, nullptr) &&
            !loopResultsLength(plan, *v->value))
          unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                   "` (argmax and argmin of a loop's results or of a list are "
                                   "expressible; other builtins only on values known when "
                                   "exporting)");
        break; // written out where it is used
      }
      case plan::NodeKind::Transform:
        into.push_back(transformStep(n, *n.as<plan::TransformNode>()));
        break;
      case plan::NodeKind::For: {
        auto& f = *n.as<plan::ForNode>();
        std::optional<Json> items = foldedValue(plan, f.over, nullptr);
        if (!items || !items->is_array())
          unsupported(n.range, "a `for` over `" + text(f.over) +
                                   "` (it is unrolled at export, so its list must be known)");
        size_t i = 0;
        for (auto& item : *items) {
          auto savedRenamed = renamed;
          forEachNode(f.body, [&](const Node& x) {
            // Inside an enclosing loop's iteration, from that iteration's name (`s-0-1`).
            auto outer = savedRenamed.find(x.id);
            std::string base = outer == savedRenamed.end() ? x.id : outer->second;
            renamed[x.id] =
                names.name(base + "#" + std::to_string(i), "s", base + "-" + std::to_string(i));
          });
          loopValue[f.var] = item;
          walk(f.body, into, path, pathDeps);
          loopValue.erase(f.var);
          renamed = savedRenamed;
          ++i;
        }
        break;
      }
      case plan::NodeKind::If: {
        auto& c = *n.as<plan::IfNode>();
        std::set<std::string> deps = pathDeps;
        bool nested = !path.empty();
        if (!nested) {
          Json conds = Json::array();
          conditions(c.cond, false, n.range, deps, conds);
          Json ifSteps = Json::array(), elseSteps = Json::array();
          Json thenPath = conds, elsePath = Json::array();
          conditions(c.cond, true, n.range, deps, elsePath);
          walk(c.then, ifSteps, thenPath, deps);
          walk(c.otherwise, elseSteps, elsePath, deps);
          Json step = {{"Name", names.name(n.id, "s")},
                       {"Type", "Condition"},
                       {"Arguments",
                        {{"Conditions", conds}, {"IfSteps", ifSteps}, {"ElseSteps", elseSteps}}}};
          addDepends(step, deps);
          steps.push_back(step);
          break;
        }
        for (bool negated : {false, true}) {
          const auto& branch = negated ? c.otherwise : c.then;
          if (branch.empty()) continue;
          Json conds = path;
          conditions(c.cond, negated, n.range, deps, conds);
          Json inside = Json::array();
          walk(branch, inside, conds, deps);
          Json step = {
              {"Name",
               names.name(n.id + (negated ? "#else" : ""), "s", n.id + (negated ? "-else" : ""))},
              {"Type", "Condition"},
              {"Arguments",
               {{"Conditions", conds}, {"IfSteps", inside}, {"ElseSteps", Json::array()}}}};
          addDepends(step, deps);
          steps.push_back(step);
        }
        break;
      }
      }
    }
  }

  Json definition() {
    Json params = Json::array();
    for (auto& p : plan.pipeline.params) {
      if (plan::isArtifactType(p.type) || p.type.rfind("list<", 0) == 0) continue;
      std::string type = p.type == "int"      ? "Integer"
                         : p.type == "bool"   ? "Boolean"
                         : p.type == "string" ? "String"
                                              : "Float";
      Json v = p.value;
      if (type == "Float" && v.is_number_integer()) v = v.get<double>();
      params.push_back({{"Name", p.name}, {"Type", type}, {"DefaultValue", v}});
    }
    params.push_back({{"Name", kRoleParam}, {"Type", "String"}, {"DefaultValue", opt.roleArn}});
    walk(plan.nodes, steps, Json::array(), {});
    return {{"Version", "2020-12-01"},
            {"Metadata",
             {{"mlpc-pipeline", plan.pipeline.name},
              {"mlpc-source", plan.entry},
              {"mlpc-version", plan.mlpcVersion}}},
            {"Parameters", params},
            {"Steps", steps}};
  }
};

} // namespace

Result exportSageMaker(const plan::Plan& plan, const Options& options) {
  Result r;
  try {
    Sm s(plan, options);
    r.text = plan::dump(s.definition());
  } catch (const Unsupported& u) {
    r.problems.push_back({u.range, u.what()});
  }
  return r;
}

} // namespace mlpc::exporter
