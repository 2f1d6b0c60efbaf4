// An endpoint's `autoscale = { min: N, max: M, target: R, scale_out_cooldown: D,
// scale_in_cooldown: D }`: SageMaker's target tracking on invocations per instance per minute.
// The agent reads the values from the plan as numbers, so each field is a constant here.
#include "sema/checker.h"

#include <set>

namespace mlpc::sema {

namespace {
const std::vector<RecordField>& autoscaleFields() {
  return *propertyFields(ast::DeclKind::Endpoint, "autoscale");
}
const RecordField* autoscaleField(const std::string& name) {
  for (auto& f : autoscaleFields())
    if (f.name == name) return &f;
  return nullptr;
}
} // namespace

void Checker::checkAutoscale(const ast::PolicyDecl& d, const ast::Property& p,
                             const ast::Property* instances, const ast::Property* mode) {
  if (p.value->kind != ast::ExprKind::Record) {
    sink.report(DiagCode::TypeMismatch, p.value->range,
                "`autoscale` is a record such as `{ min: 1, max: 4, target: 600 }`")
        .withLabel("not a record")
        .note("`target` is invocations per instance per minute (SageMaker's target tracking)");
    return;
  }
  if (mode && mode->value->kind == ast::ExprKind::Call) {
    auto& callee = *mode->value->as<ast::CallExpr>().callee;
    std::string kind =
        callee.kind == ast::ExprKind::Name ? callee.as<ast::NameExpr>().name : std::string();
    if (kind == "serverless" || kind == "async")
      sink.report(DiagCode::InvalidValue, p.name.range,
                  "`autoscale` applies to realtime endpoints; endpoint `" + d.name.name + "` is " +
                      kind)
          .withLabel("not for a " + kind + " endpoint")
          .secondary(mode->value->range, "the mode")
          .note(kind == "serverless"
                    ? "a serverless endpoint starts on demand and stops when idle by itself"
                    : "scaling async endpoints on their queue is planned, not built");
  }
  std::map<std::string, double> values;
  std::set<std::string> written;
  for (auto& f : p.value->as<ast::RecordExpr>().fields) {
    const std::string& n = f.name.name;
    written.insert(n);
    const RecordField* field = autoscaleField(n);
    if (!field) {
      auto& diag = sink.report(DiagCode::UnknownProperty, f.name.range,
                               "unknown field `" + n + "` in `autoscale`")
                       .withLabel("not an autoscale field");
      std::vector<std::string> names;
      for (auto& x : autoscaleFields())
        names.push_back(x.name);
      std::string near = closestName(n, names);
      if (!near.empty()) diag.note("did you mean `" + near + "`?");
      diag.note("the fields are " + fieldList(autoscaleFields()));
      continue;
    }
    Type t = prog.typeOf(f.value.get());
    if (t.isError() || hasErrorWithin(f.value->range)) continue;
    expectType(*f.value, t, Type::of(field->type), "`autoscale." + n + "`");
    if (!assignable(t, Type::of(field->type))) continue;
    auto v = constantNumber(*f.value);
    if (!v) {
      sink.report(DiagCode::InvalidValue, f.value->range,
                  "`autoscale." + n + "` must be a constant")
          .withLabel("not known before the agent starts");
      continue;
    }
    values[n] = *v;
    const char* why = nullptr;
    if ((n == "min" || n == "max") && *v < 1) why = "must be at least 1";
    if (n == "target" && *v <= 0) why = "must be more than 0 invocations per instance per minute";
    if ((n == "scale_out_cooldown" || n == "scale_in_cooldown") && *v < 0)
      why = "cannot be negative";
    if (why)
      sink.report(DiagCode::PropertyOutOfRange, f.value->range, "`autoscale." + n + "` " + why)
          .withLabel("out of range");
  }
  for (auto& x : autoscaleFields())
    if (x.required && !written.count(x.name))
      sink.report(DiagCode::MissingProperty, p.value->range,
                  "`autoscale` of endpoint `" + d.name.name + "` has no `" + x.name + "`")
          .withLabel("needs min, max and target")
          .note("e.g. `autoscale = { min: 1, max: 4, target: 600 }`");
  bool counts = values.count("min") && values.count("max") && values["min"] >= 1;
  if (counts && values["max"] >= 1 && values["max"] < values["min"])
    sink.report(DiagCode::PropertyOutOfRange, p.value->range,
                "`autoscale.max` (" + std::to_string(static_cast<long long>(values["max"])) +
                    ") is less than `autoscale.min` (" +
                    std::to_string(static_cast<long long>(values["min"])) + ")")
        .withLabel("no instance count fits");
  if (instances && counts && values["max"] >= values["min"])
    if (auto n = constantNumber(*instances->value);
        n && *n >= 1 && (*n < values["min"] || *n > values["max"]))
      sink.report(DiagCode::PropertyOutOfRange, instances->value->range,
                  "`instances` (the count an endpoint starts with) is outside `autoscale`'s " +
                      std::to_string(static_cast<long long>(values["min"])) + " to " +
                      std::to_string(static_cast<long long>(values["max"])))
          .withLabel("out of range")
          .secondary(p.value->range, "the range")
          .note("leave `instances` out to start with `min`");
}

} // namespace mlpc::sema
