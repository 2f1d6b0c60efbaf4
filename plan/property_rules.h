#pragma once
/// The allowed ranges of the numeric step and server properties. One table serves both sides of
/// the plan: the checker applies it to values that are constant in the source (E034), the
/// runtime to values it evaluates per call (a failed step naming the property), so a value
/// means the same whether it is a literal, a parameter's default or a `--param`.
/// Header-only and free of JSON and of the syntax tree, so the checker can use it too.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace mlpc::plan {

struct PropertyRule {
  std::string_view name; ///< as written in the source: `timeout`, `retry.attempts`, …
  double min;
  bool minIncluded;      ///< `min` itself is allowed
  bool integer;          ///< the value must be whole (an `int`)
  std::string_view unit; ///< how the bound is shown: "" (a count), "s", "B"
};

inline constexpr PropertyRule kPropertyRules[] = {
    {"resources.cpu", 0, false, false, ""}, {"resources.memory", 0, false, true, "B"},
    {"resources.gpu", 0, true, true, ""},   {"retry.attempts", 1, true, true, ""},
    {"retry.backoff", 0, true, false, "s"}, {"timeout", 0, false, false, "s"},
    {"cache", 0, false, false, "s"}, // an expiry; `cache = false` turns caching off
};

inline const PropertyRule* propertyRule(std::string_view name) {
  for (auto& r : kPropertyRules)
    if (r.name == name) return &r;
  return nullptr;
}

/// What `value` of property `name` violates ("must be at least 1"), or nullopt when it is
/// allowed (or the property has no rule). Durations are in seconds, sizes in bytes.
inline std::optional<std::string> propertyRangeError(std::string_view name, double value) {
  const PropertyRule* r = propertyRule(name);
  if (!r) return std::nullopt;
  auto bound = [&] {
    double m = r->min;
    std::string s =
        std::floor(m) == m ? std::to_string(static_cast<long long>(m)) : std::to_string(m);
    return s + std::string(r->unit);
  };
  if (!std::isfinite(value)) return "must be a finite number";
  if (r->minIncluded ? value < r->min : value <= r->min)
    return std::string(r->minIncluded ? "must be at least " : "must be greater than ") + bound();
  if (r->integer && std::floor(value) != value) return "must be a whole number";
  return std::nullopt;
}

} // namespace mlpc::plan
