#include "deploy/traffic_table.h"

#include <mutex>

namespace mlpc::deploy {

void TrafficTable::set(const std::string& endpoint, std::vector<Route> routes) {
  std::unique_lock lock(mu_);
  table_[endpoint] = {std::move(routes), ""};
}

void TrafficTable::declare(const std::string& endpoint, const std::string& reason) {
  std::unique_lock lock(mu_);
  table_[endpoint] = {{}, reason};
}

bool TrafficTable::known(const std::string& endpoint) const {
  std::shared_lock lock(mu_);
  return table_.count(endpoint) != 0;
}

std::vector<Route> TrafficTable::routes(const std::string& endpoint) const {
  std::shared_lock lock(mu_);
  auto it = table_.find(endpoint);
  return it == table_.end() ? std::vector<Route>{} : it->second.routes;
}

std::shared_ptr<Fleet> TrafficTable::pick(const std::string& endpoint, std::string& reason) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::shared_lock lock(mu_);
  auto it = table_.find(endpoint);
  if (it == table_.end()) {
    reason = "no such endpoint";
    return nullptr;
  }
  double total = 0;
  for (auto& r : it->second.routes)
    total += r.weight;
  if (total <= 0) {
    reason = it->second.reason.empty() ? "no version takes traffic" : it->second.reason;
    return nullptr;
  }
  double x = std::uniform_real_distribution<double>(0, total)(rng);
  for (auto& r : it->second.routes) {
    if (r.weight <= 0) continue;
    if (x < r.weight) return r.fleet;
    x -= r.weight;
  }
  for (auto it2 = it->second.routes.rbegin(); it2 != it->second.routes.rend(); ++it2)
    if (it2->weight > 0) return it2->fleet;
  return nullptr;
}

} // namespace mlpc::deploy
