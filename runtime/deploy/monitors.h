#pragma once
/// The agent's monitors: every `every` (from the agent's start), each `monitor` of the plan reads
/// the requests its endpoint captured since its last monitoring run (monitor/capture_window.h),
/// computes their statistics and compares them with the baseline (monitor/drift.h), writes
/// SageMaker's `statistics.json` and `constraint_violations.json` into
/// `WORKSPACE/monitoring/MONITOR/EXECUTION/`, and records the execution (meta::DeployLog). When
/// `alert` holds over the worst psi/ks/missing, `on_alert` starts its pipeline run
/// (PipelineLaunch), at most one per monitor at a time; an alert within the cool-down after a run
/// started (ten periods of `every`) starts none. Each retraining run is recorded on the execution
/// that started it, which is how lineage finds the alert behind a version.
///
/// The baseline: a data declaration's file, or `training_data`, the dataset the training step of
/// the version the endpoint serves read (its `data` input, else its first Dataset input), found
/// through the execution that produced the version's artifact.
#include "deploy/pipeline_launch.h"
#include "meta/deploy_log.h"
#include "meta/meta_store.h"
#include "monitor/statistics.h"
#include "plan/model.h"
#include "store/store.h"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mlpc::deploy {

/// What an endpoint serves now, as the agent knows it.
struct ServedModel {
  std::string group;
  int64_t version = 0;
  std::vector<std::string> features; ///< the server's feature names, when its health says them
};
using ServedLookup = std::function<std::optional<ServedModel>(const std::string& endpoint)>;

struct MonitorOptions {
  LaunchOptions launch;   ///< how `on_alert` runs start
  std::string baseDir;    ///< where the plan's relative data paths start
  std::string captureDir; ///< the router's capture directory
  std::string outDir;     ///< WORKSPACE/monitoring
  int64_t minRows = 10;   ///< fewer rows in a window: NoData
};

class MonitorRunner {
public:
  MonitorRunner(const plan::Plan& plan, MonitorOptions opts, Spawner& spawner, meta::DeployLog& log,
                meta::MetaStore& meta, const store::Store& store, ServedLookup served);
  ~MonitorRunner() { stop(); }
  MonitorRunner(const MonitorRunner&) = delete;
  MonitorRunner& operator=(const MonitorRunner&) = delete;

  void start();
  /// Stops the thread and every retraining run still going (recorded Stopped).
  void stop();
  /// Each monitor: endpoint, period, next run, the retraining run going, the last execution.
  nlohmann::json status();

private:
  struct Entry {
    std::string name;
    plan::Monitor def;
    double everyS = 0, nextAt = 0, windowStart = 0;
    std::unique_ptr<PipelineLaunch> retrain;
    int64_t retrainRow = 0;
    double coolUntil = 0;
  };
  struct Baseline {
    std::string what; ///< for the record: the data name, or "training data of G vN (…)"
    std::shared_ptr<const monitor::DatasetStats> stats;
    std::string hash; ///< the stored baseline object; "" when it could not be stored
  };
  void loop();
  void runOnce(Entry& e, double now);
  void reap(Entry& e, bool stopping);
  /// The baseline for `e` while `served` is deployed; nullopt with `error`.
  std::optional<Baseline> baseline(const Entry& e, const std::optional<ServedModel>& served,
                                   std::string& error);
  /// Statistics of a CSV file, computed once per path and content (the store's paths are
  /// content-addressed; a data file is re-read when its size or time changed).
  std::shared_ptr<const monitor::DatasetStats> statsOf(const std::string& path, std::string& error);
  void alerted(Entry& e, meta::MonitorExecutionRow& row, double now);
  /// Keeps the baseline in the store (statistics.json and constraints.json as one directory
  /// object) and records which data it describes: once per file and content. Returns the
  /// object's hash, or "" when it cannot be stored (the monitoring run goes on without it).
  std::string keepBaseline(const std::string& path, std::string dataHash, const Baseline& b);

  const plan::Plan& plan_;
  MonitorOptions opts_;
  Spawner& spawner_;
  meta::DeployLog& log_;
  meta::MetaStore& meta_;
  const store::Store& store_;
  ServedLookup served_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::vector<Entry> entries_;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const monitor::DatasetStats>>>
      stats_;                               ///< path -> (stamp, statistics)
  std::map<std::string, std::string> kept_; ///< path + stamp -> the stored baseline's hash
  std::thread thread_;
};

} // namespace mlpc::deploy
