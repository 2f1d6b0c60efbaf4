#include "meta/metrics_json.h"

#include <nlohmann/json.hpp>

namespace mlpc::meta {
namespace {

void collect(const nlohmann::json& j, const std::string& prefix, std::vector<Metric>& out) {
  if (j.is_number()) {
    out.push_back({prefix, j.get<double>()});
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items())
      collect(value, prefix.empty() ? key : prefix + "." + key, out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      collect(j[i], prefix + "[" + std::to_string(i) + "]", out);
  }
}

} // namespace

Result<std::vector<Metric>> numericMetrics(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("metrics are not valid JSON");
  std::vector<Metric> out;
  collect(j, "", out);
  return out;
}

} // namespace mlpc::meta
