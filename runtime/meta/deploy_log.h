#pragma once
/// The deployment records of a workspace (schema v4, migrations.cpp): endpoint states,
/// deployments with their traffic steps and events, and the server processes the agent runs.
/// A second connection to `<workspace>/meta.db`, next to the MetaStore; thread-safe.
#include "meta/records.h"
#include "meta/sqlite_db.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::meta {

struct DeploymentRow {
  int64_t id = 0;
  std::string endpoint, group;
  std::optional<int64_t> version, fromVersion;
  std::string strategy, status, reason;
  double startedAt = 0;
  std::optional<double> finishedAt;
};

struct EndpointStateRow {
  std::string endpoint, url, mode, state, reason;
  std::string trafficJson = "{}";
  double updatedAt = 0;
};

struct TrafficStepRow {
  int64_t id = 0, deploymentId = 0;
  double at = 0;
  std::string trafficJson, note;
};

struct DeployEventRow {
  int64_t id = 0;
  std::string endpoint;
  std::optional<int64_t> deploymentId;
  double at = 0;
  std::string kind, detailJson;
};

struct InstanceRow {
  std::string endpoint;
  int64_t version = 0, pid = 0, pidStart = 0, port = 0;
  double startedAt = 0;
};

/// One firing of a schedule: why (`trigger`: cron, every, on_change; `detail`), and the run.
/// `status`: Running, Succeeded, Failed (the run failed or could not start), Skipped (the
/// schedule's previous run had not finished), Stopped (the agent stopped during the run).
struct ScheduleRunRow {
  int64_t id = 0;
  std::string schedule, trigger, detail, status;
  double firedAt = 0;
  std::optional<std::string> runId;
  std::optional<int64_t> exitCode;
  std::optional<double> finishedAt;
};

/// One monitoring run of a monitor. `status`: Completed, CompletedWithViolations (SageMaker's
/// names), NoData (too few requests in the window), Failed (no baseline, say: `detail`).
/// `retrainStatus`: the `on_alert` run — Running, Succeeded, Failed, Stopped, or CoolingDown /
/// Busy when the alert started none.
struct MonitorExecutionRow {
  int64_t id = 0;
  std::string monitor, endpoint, modelGroup;
  std::optional<int64_t> modelVersion;
  std::string baseline; ///< what the baseline is: a data name, or the training data's artifact
  double windowStart = 0, windowEnd = 0;
  std::string status, detail;
  int64_t records = 0, rows = 0, skipped = 0;
  std::optional<double> psi, ks, missing;
  int64_t violations = 0;
  std::string featuresJson = "[]", reportDir;
  bool alert = false;
  std::optional<std::string> retrainStatus, runId;
  std::string retrainDetail;
  std::optional<double> finishedAt;
  /// The stored baseline object (a BaselineRow's hash) it compared against, if one was stored.
  std::optional<std::string> baselineHash;
};

/// A baseline kept in the store: a directory object holding SageMaker's `statistics.json` and
/// `constraints.json`, and the data it describes.
struct BaselineRow {
  std::string hash;     ///< the directory object
  std::string dataHash; ///< the bytes described: an artifact, or a `data` declaration's file
  std::string dataName; ///< in user terms: "training data of iris v1 (input `data`)", a data name
  std::string dataPath; ///< the file read (a store path, or the declaration's file)
  int64_t rows = 0;
  double createdAt = 0;
};

class DeployLog {
public:
  /// Opens `<workspaceDir>/meta.db` (migrating it to the latest schema).
  static Result<std::unique_ptr<DeployLog>> open(const std::string& workspaceDir);

  Result<int64_t> startDeployment(const DeploymentRow& d);
  /// Sets the outcome; an empty `reason` keeps the one recorded at the start.
  Status finishDeployment(int64_t id, const std::string& status, const std::string& reason);
  /// Deployments still InProgress (an agent that died mid-rollout) become Stopped.
  Status stopUnfinishedDeployments(const std::string& reason);
  Status recordTrafficStep(int64_t deploymentId, const std::string& trafficJson,
                           const std::string& note);
  Status recordEvent(const std::string& endpoint, std::optional<int64_t> deploymentId,
                     const std::string& kind, const std::string& detailJson);
  Status setEndpointState(const EndpointStateRow& s);

  Status addInstance(const InstanceRow& i);
  Status removeInstance(const std::string& endpoint, int64_t pid);
  Result<std::vector<InstanceRow>> instances();

  /// Newest last.
  Result<std::vector<DeploymentRow>> deployments(const std::string& endpoint);
  Result<std::vector<TrafficStepRow>> trafficSteps(int64_t deploymentId);
  Result<std::vector<DeployEventRow>> events(const std::string& endpoint);
  Result<std::vector<EndpointStateRow>> endpointStates();

  Result<int64_t> startScheduleRun(const ScheduleRunRow& r);
  Status finishScheduleRun(int64_t id, const std::string& status,
                           const std::optional<std::string>& runId, std::optional<int64_t> exitCode,
                           const std::string& detail);
  /// Runs left Running by an agent that stopped become Stopped.
  Status stopUnfinishedScheduleRuns();
  /// Newest last; every schedule when `schedule` is empty.
  Result<std::vector<ScheduleRunRow>> scheduleRuns(const std::string& schedule);

  Result<int64_t> recordMonitorExecution(const MonitorExecutionRow& r);
  Status setMonitorReportDir(int64_t id, const std::string& dir);
  Status setMonitorRetrain(int64_t id, const std::string& status,
                           const std::optional<std::string>& runId, const std::string& detail);
  /// Retraining runs left Running by an agent that stopped become Stopped.
  Status stopUnfinishedRetrains();
  /// Newest last; every monitor when `monitor` is empty.
  Result<std::vector<MonitorExecutionRow>> monitorExecutions(const std::string& monitor);
  /// Records a stored baseline (idempotent: the same object describes the same data).
  Status recordBaseline(const BaselineRow& b);
  /// The baselines whose object hash starts with `prefix` (all with ""), oldest first.
  Result<std::vector<BaselineRow>> baselines(const std::string& prefix);
  /// The monitoring execution whose alert started run `runId`, if one did.
  Result<std::optional<MonitorExecutionRow>> monitorExecutionOfRun(const std::string& runId);

private:
  explicit DeployLog(sqlite::Db db) : db_(std::move(db)) {}
  std::mutex mu_;
  sqlite::Db db_;
};

/// Unix seconds, wall clock.
double wallNow();

} // namespace mlpc::meta
