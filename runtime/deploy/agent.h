#pragma once
/// The deployment agent behind `mlpc up`: brings up every endpoint of a plan at the version its
/// `model` expression resolves to, routes its traffic, restarts crashed instances, records
/// everything in the workspace metadata (meta::DeployLog), and answers the control API the CLI
/// uses (GET /mlpc/endpoints, POST /mlpc/deploy) on the router's listener.
#include "deploy/router.h"
#include "deploy/server_spec.h"
#include "deploy/traffic_table.h"
#include "meta/deploy_log.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlpc::deploy {

struct AgentOptions {
  ResolveContext ctx;
  int port = 8080;
  double healthTimeoutS = 60;
  double drainS = 10; ///< how long stopping waits for requests in flight
};

/// One endpoint's state as the agent sees it.
struct EndpointRt {
  std::string name;
  plan::Endpoint def;
  std::string state = "Creating"; ///< Creating, InService, Updating, RollingBack, Failed
  std::string reason;
  std::shared_ptr<Fleet> live;  ///< the fleet that serves (blue during an update)
  std::shared_ptr<Fleet> green; ///< the new fleet while an update runs
  std::optional<int64_t> lastDeployment;
  bool busy = false; ///< an update runs
};

class Agent {
public:
  Agent(const plan::Plan& plan, AgentOptions options, meta::MetaStore& meta,
        const store::Store& store, meta::DeployLog& log);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Reconciles what a previous agent left (server processes, unfinished deployments), then
  /// binds the router. False with `error` (e.g. the port is in use).
  bool listen(std::string& error);
  int port() const { return router_.port(); }
  std::string baseUrl() const;
  /// Starts every endpoint (in parallel) and waits until each is InService or Failed.
  void bringUp();
  /// Restarts crashed instances until `stopRequested` returns true.
  void supervise(const std::function<bool()>& stopRequested);
  /// Stops the listener (requests in flight finish), then every server.
  void shutdown();

  nlohmann::json status();

private:
  void bringUpOne(EndpointRt& ep);
  void setState(EndpointRt& ep, const std::string& state, const std::string& reason);
  nlohmann::json trafficJson(const std::string& endpoint);
  nlohmann::json endpointJson(EndpointRt& ep);
  void addControlRoutes();

  const plan::Plan& plan_;
  AgentOptions opts_;
  meta::MetaStore& meta_;
  const store::Store& store_;
  meta::DeployLog& log_;
  std::string logDir_;
  Spawner spawner_;
  TrafficTable table_;
  Router router_;
  std::mutex mu_; ///< guards the endpoints' fields
  std::vector<std::unique_ptr<EndpointRt>> endpoints_;
  bool down_ = false;
};

} // namespace mlpc::deploy
