#include "sched/step_props.h"

#include "plan/property_rules.h"

#include <cmath>
#include <vector>

namespace mlpc::sched {

namespace {

enum class Kind { Number, Bool };

/// One property: where it is in the definition, its name in the source (the key of
/// plan::kPropertyRules), what it must hold.
struct Named {
  const plan::Prop* prop;
  const char* name;
  Kind kind;
};

std::vector<Named> slots(const plan::StepDef& d) {
  return {{&d.resources.cpu, "resources.cpu", Kind::Number},
          {&d.resources.memoryBytes, "resources.memory", Kind::Number},
          {&d.resources.gpu, "resources.gpu", Kind::Number},
          {&d.retry.attempts, "retry.attempts", Kind::Number},
          {&d.retry.backoffS, "retry.backoff", Kind::Number},
          {&d.timeoutS, "timeout", Kind::Number},
          {&d.cache.enabled, "cache", Kind::Bool},
          {&d.cache.expireS, "cache", Kind::Number}};
}

/// The text of a value in a message, with the unit the rule's bound uses.
std::string shown(const Json& v, std::string_view name) {
  std::string s = displayValue(v);
  if (const plan::PropertyRule* r = plan::propertyRule(name); r && v.is_number())
    s += std::string(r->unit);
  return s;
}

/// The value of one property for this call: nullopt with `error` set when it is unusable; a
/// null Json when the property is absent.
std::optional<Json> slotValue(const Named& s, const Json& args, std::string& error) {
  Json v = s.prop->plain;
  std::string where;
  if (s.prop->isExpr()) {
    where = s.prop->range;
    std::string err;
    auto r = evaluateInStep(*s.prop->expr, args, err);
    if (!r) {
      error = "cannot compute `" + std::string(s.name) + "`" +
              (where.empty() ? "" : " (" + where + ")") + ": " + err;
      return std::nullopt;
    }
    v = *r;
  }
  if (v.is_null()) return v;
  auto at = [&] { return where.empty() ? std::string() : " (" + where + ")"; };
  bool kindOk = s.kind == Kind::Bool ? v.is_boolean() : v.is_number();
  if (!kindOk) {
    error = "`" + std::string(s.name) + "` is " + displayValue(v) + ", which is not " +
            (s.kind == Kind::Bool ? "a bool" : "a number") + at();
    return std::nullopt;
  }
  if (s.kind == Kind::Number) {
    if (auto why = plan::propertyRangeError(s.name, v.get<double>())) {
      error = "`" + std::string(s.name) + "` is " + shown(v, s.name) + ", and " + *why + at();
      return std::nullopt;
    }
  }
  return v;
}

} // namespace

std::optional<StepProps> evaluateStepProps(const plan::StepDef& def, const Json& args,
                                           std::string& error) {
  StepProps p;
  for (const Named& s : slots(def)) {
    auto v = slotValue(s, args, error);
    if (!v) return std::nullopt;
    if (v->is_null()) continue;
    const plan::Prop* at = s.prop;
    if (at == &def.resources.cpu) p.cpu = v->get<double>();
    if (at == &def.resources.memoryBytes) p.memoryBytes = v->get<double>();
    if (at == &def.resources.gpu) p.gpu = std::llround(v->get<double>());
    if (at == &def.retry.attempts)
      p.attempts = static_cast<int>(std::min(v->get<double>(), 1e6)); // whole and ≥ 1 (checked)
    if (at == &def.retry.backoffS) p.backoffSeconds = v->get<double>();
    if (at == &def.timeoutS) p.timeoutSeconds = v->get<double>();
    if (at == &def.cache.enabled) p.cacheEnabled = v->get<bool>();
    if (at == &def.cache.expireS) p.expireSeconds = v->get<double>();
  }
  return p;
}

} // namespace mlpc::sched
