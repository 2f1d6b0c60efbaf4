#include "sched/step_props.h"

#include "plan/property_rules.h"

#include <cmath>

namespace mlpc::sched {

namespace {

enum class Kind { Number, Bool };

/// One property: where it is in the plan, its name in the source, what it must hold.
struct Slot {
  const char* object; ///< "resources", "retry", "cache", or nullptr for a top-level key
  const char* key;    ///< the plan's key
  const char* name;   ///< the source's name (the key of plan::kPropertyRules)
  Kind kind;
};

constexpr Slot kSlots[] = {
    {"resources", "cpu", "resources.cpu", Kind::Number},
    {"resources", "memory_bytes", "resources.memory", Kind::Number},
    {"resources", "gpu", "resources.gpu", Kind::Number},
    {"retry", "attempts", "retry.attempts", Kind::Number},
    {"retry", "backoff_s", "retry.backoff", Kind::Number},
    {nullptr, "timeout_s", "timeout", Kind::Number},
    {"cache", "enabled", "cache", Kind::Bool},
    {"cache", "expire_s", "cache", Kind::Number},
};

/// The text of a value in a message, with the unit the rule's bound uses.
std::string shown(const Json& v, std::string_view name) {
  std::string s = displayValue(v);
  if (const plan::PropertyRule* r = plan::propertyRule(name); r && v.is_number())
    s += std::string(r->unit);
  return s;
}

/// The value of one slot for this call: nullopt with `error` set when it is unusable; a null
/// Json when the property is absent.
std::optional<Json> slotValue(const Json& def, const Slot& s, const Json& args,
                              std::string& error) {
  const Json* holder = &def;
  if (s.object) {
    if (!def.contains(s.object) || !def[s.object].is_object()) return Json();
    holder = &def[s.object];
  }
  if (!holder->contains(s.key)) return Json();
  const Json& raw = (*holder)[s.key];
  Json v = raw;
  std::string where;
  if (raw.is_object() && raw.contains("expr")) {
    where = raw.value("range", "");
    std::string err;
    auto r = evaluateInStep(raw["expr"], args, err);
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

std::optional<StepProps> evaluateStepProps(const Json& def, const Json& args, std::string& error) {
  StepProps p;
  for (const Slot& s : kSlots) {
    auto v = slotValue(def, s, args, error);
    if (!v) return std::nullopt;
    if (v->is_null()) continue;
    std::string key = s.key;
    if (key == "cpu") p.cpu = v->get<double>();
    if (key == "memory_bytes") p.memoryBytes = v->get<double>();
    if (key == "gpu") p.gpu = std::llround(v->get<double>());
    if (key == "attempts")
      p.attempts = static_cast<int>(std::min(v->get<double>(), 1e6)); // whole and ≥ 1 (checked)
    if (key == "backoff_s") p.backoffSeconds = v->get<double>();
    if (key == "timeout_s") p.timeoutSeconds = v->get<double>();
    if (key == "enabled") p.cacheEnabled = v->get<bool>();
    if (key == "expire_s") p.expireSeconds = v->get<double>();
  }
  return p;
}

} // namespace mlpc::sched
