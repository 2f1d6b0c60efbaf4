#pragma once
/// A fleet: the running instances of one model version behind one endpoint. Each instance is a
/// server process on its own loopback port; it takes traffic only once its health path answers
/// 200, and the supervisor restarts it when it dies (each death counts as a crash).
#include "deploy/fleet_metrics.h"
#include "deploy/server_spec.h"
#include "meta/deploy_log.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlpc::deploy {

struct InstanceStatus {
  pid_t pid = 0;
  int port = 0;
  bool ready = false;
  double startedAt = 0;
};

class Fleet {
public:
  Fleet(std::string endpoint, ServerTemplate tmpl, int size, Spawner& spawner, std::string logDir,
        meta::DeployLog* log);
  ~Fleet() { stop(); }
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  /// Starts every instance and waits until each is healthy (at most `healthTimeoutS` each).
  /// False with `error` when one cannot be started or does not become healthy.
  bool start(double healthTimeoutS, std::string& error);
  /// Restarts instances whose process died; returns a description of each death.
  std::vector<std::string> supervise(double healthTimeoutS);
  /// Waits (at most `drainS`) for requests in flight, then stops every instance.
  void stop(double drainS = 0);

  /// A ready instance chosen round robin, counted as busy while the lease lives (scaling in
  /// waits for an instance's requests to finish); port 0 when none is ready.
  struct Lease {
    int port = 0;
    std::shared_ptr<void> busy;
  };
  Lease acquire();
  std::vector<InstanceStatus> instances();
  int readyCount();
  /// The number of instances the fleet runs or is starting.
  int size();

  /// Scaling (the agent's autoscaler). `grow` starts instances until there are `to`, each
  /// health-checked before it takes traffic; on failure the new ones are stopped again.
  bool grow(int to, double healthTimeoutS, std::string& error);
  /// Takes the newest instances out of rotation until `to` remain, waits (at most `drainS`)
  /// for their requests in flight, then stops them.
  void shrinkTo(int to, double drainS);

  int64_t version() const { return tmpl_.version; }
  const ServerTemplate& server() const { return tmpl_; }
  FleetMetrics& metrics() { return metrics_; }
  /// Requests being forwarded to this fleet right now (the router counts them).
  std::atomic<int> inflight{0};
  /// When a request was last sent to this fleet (steady clock, seconds).
  std::atomic<double> lastUsed{0};

private:
  struct Instance {
    std::unique_ptr<ServerProcess> proc;
    int port = 0;
    std::atomic<bool> ready{false};
    std::atomic<int> busy{0}; ///< requests forwarded to it and not yet answered
    double startedAt = 0;
    std::string logPath;
  };
  /// Starts one instance into `slot` and waits for its health.
  bool startOne(size_t slot, double healthTimeoutS, std::string& error);
  /// Starts slots [from, to) together; false with the first error.
  bool startSlots(size_t from, size_t to, double healthTimeoutS, std::string& error);
  /// Stops instances (already out of rotation) after their requests in flight, up to `drainS`.
  void stopInstances(const std::vector<std::shared_ptr<Instance>>& gone, double drainS);

  std::string endpoint_;
  ServerTemplate tmpl_;
  Spawner& spawner_;
  std::string logDir_;
  meta::DeployLog* log_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Instance>> slots_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stopping_{false};
  FleetMetrics metrics_;
};

/// The steady clock in seconds: what Fleet::lastUsed and the agent's timers count in.
double steadyNow();

/// Polls GET `path` on 127.0.0.1:`port` until it answers 200, the process dies, or the time is
/// up. False with `error` saying which.
bool waitHealthy(int port, const std::string& path, ServerProcess& proc, double timeoutS,
                 std::string& error);

} // namespace mlpc::deploy
