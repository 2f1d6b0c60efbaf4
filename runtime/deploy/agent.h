#pragma once
/// The deployment agent behind `mlpc up`: brings up every endpoint of a plan at the version its
/// `model` expression resolves to, routes its traffic, restarts crashed instances, records
/// everything in the workspace metadata (meta::DeployLog), and answers the control API the CLI
/// uses (GET /mlpc/endpoints, POST /mlpc/deploy) on the router's listener.
#include "deploy/async_store.h"
#include "deploy/monitors.h"
#include "deploy/router.h"
#include "deploy/schedules.h"
#include "deploy/server_spec.h"
#include "deploy/traffic_table.h"
#include "meta/deploy_log.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace mlpc::deploy {

struct AgentOptions {
  ResolveContext ctx;
  int port = 8080;
  double healthTimeoutS = 60;
  double drainS = 10; ///< how long stopping waits for requests in flight
  /// The .mlp program (absolute), which scheduled runs run; "" when the agent serves a plan
  /// file, and then schedules cannot fire.
  std::string programFile;
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
  // serverless: the version to start on the first request, and the cold starts so far
  std::optional<ServerTemplate> tmpl;
  std::mutex coldMu; ///< held by a cold start and by scaling to zero
  int coldStarts = 0;
  double lastColdStartS = 0;
  // autoscale: a scaling action runs; when the last ones ended (steady clock, seconds)
  std::atomic<bool> scaling{false};
  std::thread scaler; ///< runs the current (or last) scaling action
  double lastScaleOutS = -1e18, lastScaleAnyS = -1e18;
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

  /// How a request to start an update went: `status` 200 with the deployment's id, else an
  /// HTTP status (404 unknown endpoint, 409 one already runs or nothing to do, 422 the version
  /// cannot be resolved) and the message.
  struct DeployStart {
    int status = 200;
    std::string error;
    int64_t id = 0;
  };
  /// Starts a blue/green update of `endpoint` to `version` (nullopt: what its `model` resolves
  /// to now), run by a thread of the agent: the green fleet is started and health-checked while
  /// blue serves, traffic shifts by the endpoint's strategy, the `rollback` alarm is watched
  /// during every wait and the bake, and an alarm sends all traffic back to blue.
  DeployStart deploy(const std::string& endpoint, std::optional<int64_t> version,
                     const std::string& why = "");
  /// A deployment as JSON: its row, traffic steps and events.
  nlohmann::json deploymentJson(int64_t id);

private:
  void rollout(EndpointRt& ep, std::shared_ptr<Fleet> blue, ServerTemplate green, int64_t id);
  /// Watches `green` for `seconds`; false with `why` (the readings) when the alarm trips or the
  /// agent stops.
  bool watch(EndpointRt& ep, Fleet& green, double seconds, int64_t id, std::string& why);
  void setTraffic(EndpointRt& ep, const std::vector<Route>& routes, int64_t id,
                  const std::string& note);
  /// Starts updates for endpoints that follow `G.latest` / `G.approved` when the registry has
  /// moved on (a version registered or approved).
  void followRegistry();
  void bringUpOne(EndpointRt& ep);
  /// What a new agent serves when the endpoint's last deployment was an update that did not
  /// succeed (interrupted by the agent's stop or kill -9, rolled back, failed): `pin`, the last
  /// version fully deployed, and `tried`, the version not to roll out again by itself.
  struct Reconcile {
    std::optional<int64_t> pin, tried;
    std::string why;
  };
  Reconcile reconcile(const std::string& endpoint);
  void setState(EndpointRt& ep, const std::string& state, const std::string& reason);
  nlohmann::json trafficJson(const std::string& endpoint);
  nlohmann::json endpointJson(EndpointRt& ep);
  void addControlRoutes();
  // async and serverless modes (agent_modes.cpp)
  EndpointRt* find(const std::string& name);
  void addAsyncRoutes();
  void asyncInvoke(const httplib::Request& req, httplib::Response& res);
  void startAsyncWorkers(EndpointRt& ep);
  void asyncWorker(EndpointRt& ep);
  size_t queueLimit(const EndpointRt& ep) const;
  double idleSeconds(const EndpointRt& ep) const;
  /// Brings a serverless endpoint up for its first request (the router's on-demand hook).
  bool coldStart(const std::string& name, std::string& why);
  /// Prepares a serverless endpoint: resolves its version, starts nothing.
  void bringUpServerless(EndpointRt& ep);
  /// Stops the instances of serverless endpoints idle for their `idle` time.
  void scaleIdleToZero();
  nlohmann::json modeJson(EndpointRt& ep);
  /// What `endpoint` serves now, with the feature names its server's health reports (for the
  /// monitors); nullopt when it serves nothing.
  std::optional<ServedModel> served(const std::string& endpoint);
  // autoscaling of realtime endpoints (autoscale.cpp)
  /// Starts a scaling action for each endpoint whose load calls for one (none during a rollout).
  void autoscale();
  void scale(EndpointRt& ep, std::shared_ptr<Fleet> fleet, int from, int to, double perMinute);
  nlohmann::json autoscaleJson(EndpointRt& ep);

  const plan::Plan& plan_;
  AgentOptions opts_;
  meta::MetaStore& meta_;
  const store::Store& store_;
  meta::DeployLog& log_;
  std::string logDir_;
  Spawner spawner_;
  TrafficTable table_;
  Capture capture_;
  Router router_;
  std::mutex mu_; ///< guards the endpoints' fields
  std::vector<std::unique_ptr<EndpointRt>> endpoints_;
  std::map<std::string, int64_t> autoTried_; ///< the version last tried per endpoint
  std::atomic<bool> stopping_{false};
  std::mutex rolloutMu_;
  std::vector<std::thread> rollouts_;
  bool down_ = false;
  AsyncStore async_;
  std::unique_ptr<ScheduleRunner> schedules_;
  std::unique_ptr<MonitorRunner> monitors_;
  std::mutex workersMu_;
  std::vector<std::thread> workers_;
};

} // namespace mlpc::deploy
