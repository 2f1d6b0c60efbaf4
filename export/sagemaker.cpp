// SageMaker Model Building Pipelines: a pipeline definition (JSON, version 2020-12-01) with one
// Processing step per step call (docs/export/sagemaker.md has the mapping and its limits).
#include "export/support.h"

#include "plan/expr_text.h"
#include "plan/plan.h"

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

  Sm(const plan::Plan& p, const Options& o) : plan(p), opt(o) {
    forEachNode(plan.nodes, [&](const Node& n) { nodeOf[n.id] = &n; });
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
    return "Steps." + stepName(id) + ".ProcessingOutputConfig.Outputs['" + out +
           "'].S3Output.S3Uri";
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
      break;
    }
    case ExprKind::Ref:
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
    default:
      break;
    }
    if (auto k = constantValue(plan, e, nullptr); k && !mentions(*e, ExprKind::Param))
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
    return names.name("pf:" + id + "." + out, "p", stepName(id) + "-" + out);
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
          if (v->kind == ExprKind::Ref && v->output && !v->lifted) {
            std::string dir = kInputRoot + e->name;
            if (declared.insert("a:" + e->name).second) {
              deps.insert(stepName(v->name));
              inputs.push_back({{"InputName", e->name},
                                {"AppManaged", false},
                                {"S3Input",
                                 {{"S3Uri", get(outputUri(v->name, *v->output))},
                                  {"LocalPath", dir},
                                  {"S3DataType", "S3Prefix"},
                                  {"S3InputMode", "File"},
                                  {"S3DataDistributionType", "FullyReplicated"}}}});
            }
            const plan::StepOutput* o = outputOf(v->name, *v->output);
            return q(o && o->type == "Dir" ? dir : dir + "/" + *v->output);
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
        Json val = value(v, ptype, n.range, deps, true);
        if (val.is_string()) return q(val.get<std::string>());
        if (ptype.rfind("list<", 0) == 0)
          unsupported(n.range,
                      "the list argument `" + e->name + " = " + text(v) + "` in a command");
        std::string var = "MLP_ARG_" + e->name;
        env[var] = val;
        return quote ? "\"$" + var + "\"" : "$" + var;
      }
      if (auto k = constantValue(plan, e, &c.args)) return q(plan::commandText(*k, type));
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
      auto v = constantValue(plan, def->image, &c.args);
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
      outputs.push_back(
          {{"OutputName", o.name},
           {"AppManaged", false},
           {"S3Output",
            {{"S3Uri",
              {{"Std:Join",
                {{"On", "/"},
                 {"Values", Json::array({opt.s3Prefix, get("Execution.PipelineExecutionId"), name,
                                         o.name})}}}}},
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

  Json registerStep(const Node& n, const plan::RegisterNode& r) {
    std::set<std::string> deps;
    const ExprP& m = r.model;
    if (!m || m->kind != ExprKind::Ref || !m->output || m->lifted)
      unsupported(n.range, "registering `" + text(m) + "` (only a step's model output)");
    deps.insert(stepName(m->name));
    const plan::ModelGroup* g = plan.models.find(r.group);
    std::string image = opt.image;
    if (g && g->serve)
      if (const plan::StepDef* s = plan.servers.find(*g->serve); s && s->image)
        if (auto v = constantValue(plan, s->image, nullptr); v && v->is_string())
          image = v->get<std::string>();
    NameAllocator groupName(false, '-', 63);
    Json a = {
        {"ModelPackageGroupName", groupName.name(r.group, "g")},
        {"ModelApprovalStatus", g && g->approval == "auto" ? "Approved" : "PendingManualApproval"},
        {"InferenceSpecification",
         {{"Containers", Json::array({{{"Image", image},
                                       {"ModelDataUrl", get(outputUri(m->name, *m->output))}}})},
          {"SupportedContentTypes", Json::array({"text/csv"})},
          {"SupportedResponseMIMETypes", Json::array({"text/csv"})}}}};
    if (r.metrics) {
      const ExprP& x = r.metrics;
      if (x->kind != ExprKind::Ref || !x->output || x->lifted)
        unsupported(n.range, "the metrics `" + text(x) +
                                 "` of a registration (only a step's "
                                 "metrics output)");
      deps.insert(stepName(x->name));
      a["ModelMetrics"] = {{"ModelQuality",
                            {{"Statistics",
                              {{"ContentType", "application/json"},
                               {"S3Uri", get(outputUri(x->name, *x->output))}}}}}};
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
        if (v->value && v->value->kind == ExprKind::Call)
          unsupported(n.range, "the computed binding `" + n.id + " = " + text(v->value) +
                                   "` (no step computes a builtin such as argmax between steps)");
        break; // written out where it is used
      }
      case plan::NodeKind::Transform:
        unsupported(n.range, "batch inference (`transform`) yet: it needs a Model step and a "
                             "Transform step, which this exporter does not generate");
      case plan::NodeKind::For: {
        auto& f = *n.as<plan::ForNode>();
        std::optional<Json> items = constantValue(plan, f.over, nullptr);
        if (!items || !items->is_array())
          unsupported(n.range, "a `for` over `" + text(f.over) +
                                   "` (it is unrolled at export, so its list must be known)");
        size_t i = 0;
        for (auto& item : *items) {
          auto savedRenamed = renamed;
          forEachNode(f.body, [&](const Node& x) {
            renamed[x.id] =
                names.name(x.id + "#" + std::to_string(i), "s", x.id + "-" + std::to_string(i));
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
