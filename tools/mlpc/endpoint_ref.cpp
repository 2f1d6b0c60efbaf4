#include "endpoint_ref.h"

#include "history_support.h"
#include "meta/deploy_log.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace mlpc::cli {

std::optional<EndpointVersion> resolveEndpoint(const std::string& wsDir,
                                               const std::string& endpoint) {
  auto log = meta::DeployLog::open(wsDir);
  if (!log) {
    std::cerr << "error: cannot read the deployment records: " << log.error() << "\n";
    return std::nullopt;
  }
  auto deps = (*log)->deployments(endpoint);
  auto states = (*log)->endpointStates();
  if (!deps || !states) {
    std::cerr << "error: cannot read the deployment records: "
              << (!deps ? deps.error() : states.error()) << "\n";
    return std::nullopt;
  }
  std::vector<std::string> names;
  const meta::EndpointStateRow* state = nullptr;
  for (auto& s : *states) {
    names.push_back(s.endpoint);
    if (s.endpoint == endpoint) state = &s;
  }
  std::string group;
  for (auto it = deps->rbegin(); it != deps->rend() && group.empty(); ++it)
    group = it->group;
  if (state && group.empty()) {
    std::cerr << "error: endpoint `" << endpoint << "` serves no model version (" << state->state
              << (state->reason.empty() ? "" : ": " + state->reason) << ")\n";
    return std::nullopt;
  }
  if (!state) {
    std::cerr << "error: endpoint `" << endpoint << "` has never been served in this workspace";
    std::string near = closestName(endpoint, names);
    if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
    std::cerr << "\n  note: `mlpc up FILE` serves a file's endpoints\n";
    return std::nullopt;
  }
  EndpointVersion out;
  out.group = group;
  // Live traffic: {"VERSION": weight, …}; the largest share is "the model that serves here".
  auto traffic = nlohmann::json::parse(state->trafficJson, nullptr, false);
  double best = -1, total = 0;
  if (traffic.is_object())
    for (auto& [v, w] : traffic.items())
      if (w.is_number()) {
        total += w.get<double>();
        if (w.get<double>() > best) {
          best = w.get<double>();
          out.version = std::stoll(v);
        }
      }
  if (out.version > 0 && total > 0) {
    out.header = "endpoint " + endpoint + " (" + state->state + ") serves " + group + " version " +
                 std::to_string(out.version);
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.0f%%", 100 * best / total);
    out.header += std::string(" with ") + pct + " of its traffic";
    for (auto& [v, w] : traffic.items())
      if (w.is_number() && std::stoll(v) != out.version) {
        std::snprintf(pct, sizeof pct, "%.0f%%", 100 * w.get<double>() / total);
        out.header += "; version " + v + " has " + pct;
      }
    out.header += "\n";
    return out;
  }
  for (auto it = deps->rbegin(); it != deps->rend(); ++it)
    if (it->status == "Succeeded" && it->version) {
      out.version = *it->version;
      out.header = "endpoint " + endpoint + " (" + state->state + ") last served " + group +
                   " version " + std::to_string(out.version) + " (deployment #" +
                   std::to_string(it->id) + ")\n";
      return out;
    }
  std::cerr << "error: endpoint `" << endpoint << "` serves no model version (" << state->state
            << (state->reason.empty() ? "" : ": " + state->reason) << ")\n";
  return std::nullopt;
}

} // namespace mlpc::cli
