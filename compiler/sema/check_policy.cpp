// model, endpoint, monitor and schedule declarations: each property has a kind of value, and
// some properties define names of their own (`error_rate` in rollback, `psi` in alert, ...).
#include "sema/checker.h"

#include "plan/cron.h"

namespace mlpc::sema {

namespace {
std::string joinNames(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}
} // namespace

std::map<std::string, const ast::Property*>
Checker::properties(const ast::Decl& d, const std::vector<ast::Property>& props,
                    const std::vector<std::string>& allowed) {
  std::map<std::string, const ast::Property*> out;
  for (auto& p : props) {
    const std::string& n = p.name.name;
    if (std::find(allowed.begin(), allowed.end(), n) == allowed.end()) {
      auto& diag =
          sink.report(DiagCode::UnknownProperty, p.name.range,
                      std::string("`") + ast::keyword(d.kind) + "` has no property `" + n + "`")
              .withLabel("unknown property");
      std::string near = closestName(n, allowed);
      if (!near.empty()) diag.note("did you mean `" + near + "`?");
      diag.note(std::string("the properties of `") + ast::keyword(d.kind) + "` are " +
                joinNames(allowed));
      continue;
    }
    if (auto it = out.find(n); it != out.end()) {
      sink.report(DiagCode::RepeatedProperty, p.name.range, "property `" + n + "` is set twice")
          .withLabel("set again here")
          .secondary(it->second->name.range, "first set here");
      continue;
    }
    out[n] = &p;
  }
  return out;
}

void Checker::expectType(const ast::Expr& e, const Type& found, const Type& want,
                         const std::string& what) {
  if (assignable(found, want)) return;
  if ((found.isUnit() || want.isUnit()) && (found.isUnit() || found.isNumeric()) &&
      (want.isUnit() || want.isNumeric())) {
    sink.report(DiagCode::UnitMismatch, e.range,
                what + " is " + unitName(want) + ", but this is " + unitName(found))
        .withLabel("expected " + unitName(want))
        .note(want.kind == TypeKind::Duration  ? "write a duration such as `30s` or `5m`"
              : want.kind == TypeKind::Size    ? "write a size such as `512MiB` or `4GiB`"
              : want.kind == TypeKind::Percent ? "write a percent such as `10%`"
                                               : "write a plain number");
    return;
  }
  sink.report(DiagCode::TypeMismatch, e.range,
              "type mismatch: " + what + " expects `" + want.str() + "`, found `" + found.str() +
                  "`")
      .withLabel("expected `" + want.str() + "`");
}

namespace {
struct PropertyScope {
  Checker& c;
  PropertyScope(Checker& ch, const Module& m, const ContextNames* ctx) : c(ch) {
    c.module = &m;
    c.pipeline = nullptr;
    c.scope = nullptr;
    c.step = nullptr;
    c.context = ctx;
  }
  ~PropertyScope() { c.context = nullptr; }
};
} // namespace

void Checker::checkModel(const ast::PolicyDecl& d, const Module& m) {
  auto props = properties(d, d.props, propertyNames(d.kind));
  if (auto* p = props["approval"]) {
    PropertyScope ps(*this, m, propertyContext(d.kind, "approval"));
    Type t = check(*p->value);
    if (!t.isError() && t.kind != TypeKind::Approval)
      sink.report(DiagCode::InvalidValue, p->value->range, "`approval` is `manual` or `auto`")
          .withLabel("found `" + t.str() + "`");
  }
  if (auto* p = props["serve"]) {
    PropertyScope ps(*this, m, nullptr);
    Type t = check(*p->value);
    if (!t.isError() && t.kind != TypeKind::Server)
      sink.report(DiagCode::TypeMismatch, p->value->range,
                  "`serve` names a server, found `" + t.str() + "`")
          .withLabel("not a `server` declaration");
  }
}

void Checker::checkEndpoint(const ast::PolicyDecl& d, const Module& m) {
  auto props = properties(d, d.props, propertyNames(d.kind));
  if (!props["model"])
    sink.report(DiagCode::MissingProperty, d.name.range,
                "endpoint `" + d.name.name + "` has no `model`")
        .withLabel("needs `model = GROUP.approved` (or .latest, .version(N))");
  for (auto& [name, p] : props) {
    if (!p) continue;
    PropertyScope ps(*this, m, propertyContext(d.kind, name));
    Type t = check(*p->value);
    if (name == "model") {
      if (!t.isError() && t.kind != TypeKind::ModelVersion)
        sink.report(DiagCode::TypeMismatch, p->value->range,
                    "`model` is a model version, found `" + t.str() + "`")
            .withLabel("write GROUP.approved, GROUP.latest or GROUP.version(N)");
    } else if (name == "instances") {
      expectType(*p->value, t, Type::of(TypeKind::Int), "`instances`");
      if ((p->value->kind == ast::ExprKind::Int && p->value->as<ast::NumberLit>().value < 1) ||
          (p->value->kind == ast::ExprKind::Unary && t.kind == TypeKind::Int))
        sink.report(DiagCode::InvalidValue, p->value->range, "`instances` must be at least 1")
            .withLabel("out of range");
    } else if (name == "strategy") {
      if (!t.isError() && t.kind != TypeKind::Strategy)
        sink.report(DiagCode::InvalidValue, p->value->range,
                    "`strategy` is all_at_once(), canary(size, wait) or linear(step, wait)")
            .withLabel("found `" + t.str() + "`");
    } else if (name == "rollback") {
      if (!t.isError() && t.kind != TypeKind::Bool)
        sink.report(DiagCode::ConditionNotBool, p->value->range,
                    "`rollback` is a condition, found `" + t.str() + "`")
            .withLabel("not a bool")
            .note("e.g. `error_rate > 1% or latency_p99 > 250ms`");
    } else if (name == "bake") {
      expectType(*p->value, t, Type::of(TypeKind::Duration), "`bake`");
    } else if (name == "capture") {
      expectType(*p->value, t, Type::of(TypeKind::Percent), "`capture`");
    } else if (name == "autoscale") {
      auto get = [&](const char* k) {
        auto it = props.find(k);
        return it == props.end() ? nullptr : it->second;
      };
      checkAutoscale(d, *p, get("instances"), get("mode"));
    } else if (name == "mode") {
      if (!t.isError() && t.kind != TypeKind::Mode)
        sink.report(
                DiagCode::InvalidValue, p->value->range,
                "`mode` is realtime, serverless(idle = …, max_concurrency = …) or async(queue = …)")
            .withLabel("found `" + t.str() + "`");
    }
  }
}

void Checker::checkMonitor(const ast::PolicyDecl& d, const Module& m) {
  auto props = properties(d, d.props, propertyNames(d.kind));
  if (!props["endpoint"])
    sink.report(DiagCode::MissingProperty, d.name.range,
                "monitor `" + d.name.name + "` has no `endpoint`")
        .withLabel("needs `endpoint = NAME`");
  for (auto& [name, p] : props) {
    if (!p) continue;
    PropertyScope ps(*this, m, propertyContext(d.kind, name));
    Type t = check(*p->value);
    if (t.isError()) continue;
    if (name == "endpoint" && t.kind != TypeKind::Endpoint)
      sink.report(DiagCode::TypeMismatch, p->value->range,
                  "`endpoint` names an endpoint, found `" + t.str() + "`");
    else if (name == "baseline" && t.kind != TypeKind::Baseline &&
             !assignable(t, Type::of(TypeKind::Dataset)))
      sink.report(DiagCode::TypeMismatch, p->value->range,
                  "`baseline` is `training_data` or a Dataset, found `" + t.str() + "`");
    else if (name == "every")
      expectType(*p->value, t, Type::of(TypeKind::Duration), "`every`");
    else if (name == "alert" && t.kind != TypeKind::Bool)
      sink.report(DiagCode::ConditionNotBool, p->value->range,
                  "`alert` is a condition, found `" + t.str() + "`")
          .note("e.g. `psi > 0.2 or missing > 5%`");
    else if (name == "on_alert" && t.kind != TypeKind::PipelineRun)
      sink.report(DiagCode::TypeMismatch, p->value->range,
                  "`on_alert` starts a pipeline, found `" + t.str() + "`")
          .withLabel("write PIPELINE(args)");
  }
}

namespace {
bool validCron(const std::string& s, std::string& why) {
  // The agent reads the expression with the same function (plan/cron.h).
  return plan::parseCron(s, why).has_value();
}
} // namespace

void Checker::checkSchedule(const ast::PolicyDecl& d, const Module& m) {
  auto props = properties(d, d.props, propertyNames(d.kind));
  if (!props["run"])
    sink.report(DiagCode::MissingProperty, d.name.range,
                "schedule `" + d.name.name + "` has no `run`")
        .withLabel("needs `run = PIPELINE(args)`");
  int triggers = 0;
  for (const char* t : {"cron", "every", "on_change"})
    triggers += props[t] ? 1 : 0;
  if (triggers == 0)
    sink.report(DiagCode::MissingProperty, d.name.range,
                "schedule `" + d.name.name + "` has no trigger")
        .withLabel("needs one of `cron`, `every` or `on_change`");
  if (triggers > 1)
    sink.report(DiagCode::InvalidValue, d.name.range,
                "schedule `" + d.name.name + "` has more than one trigger")
        .withLabel("keep one of `cron`, `every` and `on_change`");
  for (auto& [name, p] : props) {
    if (!p) continue;
    PropertyScope ps(*this, m, nullptr);
    Type t = check(*p->value);
    if (t.isError()) continue;
    if (name == "run" && t.kind != TypeKind::PipelineRun)
      sink.report(DiagCode::TypeMismatch, p->value->range,
                  "`run` starts a pipeline, found `" + t.str() + "`")
          .withLabel("write PIPELINE(args)");
    else if (name == "every")
      expectType(*p->value, t, Type::of(TypeKind::Duration), "`every`");
    else if (name == "cron") {
      expectType(*p->value, t, Type::of(TypeKind::String), "`cron`");
      std::string why;
      if (p->value->kind == ast::ExprKind::String && p->value->as<ast::StringLit>().isPlain() &&
          !validCron(p->value->as<ast::StringLit>().plainText(), why))
        sink.report(DiagCode::InvalidValue, p->value->range, "invalid cron expression")
            .withLabel(why);
    } else if (name == "on_change") {
      bool ok = t.isArtifact() || (t.kind == TypeKind::List && t.elem && t.elem->isArtifact());
      if (!ok)
        sink.report(DiagCode::TypeMismatch, p->value->range,
                    "`on_change` names data, found `" + t.str() + "`")
            .withLabel("write a data name or a list of them");
    }
  }
}

} // namespace mlpc::sema
