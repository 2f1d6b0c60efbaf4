#pragma once
/// Which fleets of an endpoint take its traffic, with what weights. The router reads it on every
/// request; rollouts change it. Thread-safe.
#include "deploy/fleet.h"

#include <map>
#include <memory>
#include <random>
#include <shared_mutex>
#include <string>
#include <vector>

namespace mlpc::deploy {

struct Route {
  std::shared_ptr<Fleet> fleet;
  double weight = 0; ///< percent of the traffic, 0..100
};

class TrafficTable {
public:
  /// Replaces the endpoint's routes (an endpoint with no routes answers 503).
  void set(const std::string& endpoint, std::vector<Route> routes);
  /// Declares an endpoint with no routes yet, or with `reason` why it has none.
  void declare(const std::string& endpoint, const std::string& reason);
  bool known(const std::string& endpoint) const;
  /// A fleet chosen by weight among the routes, or null (with `reason`) when none takes traffic.
  std::shared_ptr<Fleet> pick(const std::string& endpoint, std::string& reason);
  std::vector<Route> routes(const std::string& endpoint) const;

private:
  struct Entry {
    std::vector<Route> routes;
    std::string reason;
  };
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry> table_;
};

} // namespace mlpc::deploy
