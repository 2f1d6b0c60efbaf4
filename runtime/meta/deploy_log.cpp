#include "meta/deploy_log.h"

#include "meta/migrations.h"

#include <chrono>

namespace mlpc::meta {

double wallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

template <class F> Status eachRow(sqlite::Query& q, F&& row) {
  for (;;) {
    Result<bool> more = q.step();
    if (!more) return more.err();
    if (!*more) return {};
    row(q);
  }
}

DeploymentRow deploymentOf(const sqlite::Query& q) {
  DeploymentRow d;
  d.id = q.int64(0);
  d.endpoint = q.text(1);
  d.group = q.text(2);
  d.version = q.optInt64(3);
  d.fromVersion = q.optInt64(4);
  d.strategy = q.text(5);
  d.status = q.text(6);
  d.reason = q.text(7);
  d.startedAt = q.real(8);
  d.finishedAt = q.optReal(9);
  return d;
}

} // namespace

Result<std::unique_ptr<DeployLog>> DeployLog::open(const std::string& workspaceDir) {
  Result<sqlite::Db> db = sqlite::Db::open(workspaceDir + "/meta.db", 30'000);
  if (!db) return db.err();
  if (Status s = db->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !s) return s.err();
  if (Result<int> v = migrate(*db); !v) return v.err();
  return std::unique_ptr<DeployLog>(new DeployLog(std::move(*db)));
}

Result<int64_t> DeployLog::startDeployment(const DeploymentRow& d) {
  std::lock_guard lock(mu_);
  Status s =
      db_.run("INSERT INTO deployments (endpoint, model_group, version, from_version, "
              "strategy, status, reason, started_at) VALUES (?1, ?2, ?3, ?4, ?5, "
              "'InProgress', ?6, ?7)",
              d.endpoint, d.group, d.version, d.fromVersion, d.strategy, d.reason, wallNow());
  if (!s) return s.err();
  return db_.lastInsertRowid();
}

Status DeployLog::finishDeployment(int64_t id, const std::string& status,
                                   const std::string& reason) {
  std::lock_guard lock(mu_);
  // An empty reason keeps the one given at the start (e.g. why an automatic update began).
  return db_.run("UPDATE deployments SET status = ?2, reason = CASE WHEN ?3 = '' THEN reason "
                 "ELSE ?3 END, finished_at = ?4 WHERE id = ?1",
                 id, status, reason, wallNow());
}

Status DeployLog::stopUnfinishedDeployments(const std::string& reason) {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE deployments SET status = 'Stopped', reason = ?1, finished_at = ?2 "
                 "WHERE status = 'InProgress'",
                 reason, wallNow());
}

Status DeployLog::recordTrafficStep(int64_t deploymentId, const std::string& trafficJson,
                                    const std::string& note) {
  std::lock_guard lock(mu_);
  return db_.run("INSERT INTO traffic_steps (deployment_id, at, traffic_json, note) VALUES (?1, "
                 "?2, ?3, ?4)",
                 deploymentId, wallNow(), trafficJson, note);
}

Status DeployLog::recordEvent(const std::string& endpoint, std::optional<int64_t> deploymentId,
                              const std::string& kind, const std::string& detailJson) {
  std::lock_guard lock(mu_);
  return db_.run("INSERT INTO deployment_events (endpoint, deployment_id, at, kind, detail_json) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                 endpoint, deploymentId, wallNow(), kind, detailJson);
}

Status DeployLog::setEndpointState(const EndpointStateRow& s) {
  std::lock_guard lock(mu_);
  return db_.run("INSERT INTO endpoint_state (endpoint, url, mode, state, reason, traffic_json, "
                 "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (endpoint) DO "
                 "UPDATE SET url = ?2, mode = ?3, state = ?4, reason = ?5, traffic_json = ?6, "
                 "updated_at = ?7",
                 s.endpoint, s.url, s.mode, s.state, s.reason, s.trafficJson, wallNow());
}

Status DeployLog::addInstance(const InstanceRow& i) {
  std::lock_guard lock(mu_);
  return db_.run("INSERT OR REPLACE INTO endpoint_instances (endpoint, version, pid, pid_start, "
                 "port, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 i.endpoint, i.version, i.pid, i.pidStart, i.port, wallNow());
}

Status DeployLog::removeInstance(const std::string& endpoint, int64_t pid) {
  std::lock_guard lock(mu_);
  return db_.run("DELETE FROM endpoint_instances WHERE endpoint = ?1 AND pid = ?2", endpoint, pid);
}

Result<std::vector<InstanceRow>> DeployLog::instances() {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q = db_.query(
      "SELECT endpoint, version, pid, pid_start, port, started_at FROM endpoint_instances");
  if (!q) return q.err();
  std::vector<InstanceRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    out.push_back({r.text(0), r.int64(1), r.int64(2), r.int64(3), r.int64(4), r.real(5)});
  });
  if (!s) return s.err();
  return out;
}

Result<std::vector<DeploymentRow>> DeployLog::deployments(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT id, endpoint, model_group, version, from_version, strategy, status, "
                "reason, started_at, finished_at FROM deployments WHERE endpoint = ?1 ORDER BY id");
  if (!q) return q.err();
  q->bind(1, endpoint);
  std::vector<DeploymentRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) { out.push_back(deploymentOf(r)); });
  if (!s) return s.err();
  return out;
}

Result<std::vector<TrafficStepRow>> DeployLog::trafficSteps(int64_t deploymentId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q = db_.query("SELECT id, deployment_id, at, traffic_json, note FROM "
                                      "traffic_steps WHERE deployment_id = ?1 ORDER BY id");
  if (!q) return q.err();
  q->bind(1, deploymentId);
  std::vector<TrafficStepRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    out.push_back({r.int64(0), r.int64(1), r.real(2), r.text(3), r.text(4)});
  });
  if (!s) return s.err();
  return out;
}

Result<std::vector<DeployEventRow>> DeployLog::events(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT id, endpoint, deployment_id, at, kind, detail_json FROM "
                "deployment_events WHERE endpoint = ?1 ORDER BY id");
  if (!q) return q.err();
  q->bind(1, endpoint);
  std::vector<DeployEventRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    out.push_back({r.int64(0), r.text(1), r.optInt64(2), r.real(3), r.text(4), r.text(5)});
  });
  if (!s) return s.err();
  return out;
}

Result<std::vector<EndpointStateRow>> DeployLog::endpointStates() {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q = db_.query("SELECT endpoint, url, mode, state, reason, traffic_json, "
                                      "updated_at FROM endpoint_state ORDER BY endpoint");
  if (!q) return q.err();
  std::vector<EndpointStateRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.real(6)});
  });
  if (!s) return s.err();
  return out;
}

Result<int64_t> DeployLog::startScheduleRun(const ScheduleRunRow& r) {
  std::lock_guard lock(mu_);
  Status s = db_.run("INSERT INTO schedule_runs (schedule, trigger, detail, fired_at, status) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     r.schedule, r.trigger, r.detail, wallNow(), r.status);
  if (!s) return s.err();
  return db_.lastInsertRowid();
}

Status DeployLog::finishScheduleRun(int64_t id, const std::string& status,
                                    const std::optional<std::string>& runId,
                                    std::optional<int64_t> exitCode, const std::string& detail) {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE schedule_runs SET status = ?2, run_id = ?3, exit_code = ?4, "
                 "detail = CASE WHEN ?5 = '' THEN detail ELSE ?5 END, finished_at = ?6 "
                 "WHERE id = ?1",
                 id, status, runId, exitCode, detail, wallNow());
}

Status DeployLog::stopUnfinishedScheduleRuns() {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE schedule_runs SET status = 'Stopped', finished_at = ?1 "
                 "WHERE status = 'Running'",
                 wallNow());
}

Result<std::vector<ScheduleRunRow>> DeployLog::scheduleRuns(const std::string& schedule) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT id, schedule, trigger, detail, fired_at, status, run_id, exit_code, "
                "finished_at FROM schedule_runs WHERE ?1 = '' OR schedule = ?1 ORDER BY id");
  if (!q) return q.err();
  q->bind(1, schedule);
  std::vector<ScheduleRunRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    ScheduleRunRow row;
    row.id = r.int64(0);
    row.schedule = r.text(1);
    row.trigger = r.text(2);
    row.detail = r.text(3);
    row.firedAt = r.real(4);
    row.status = r.text(5);
    if (!r.isNull(6)) row.runId = r.text(6);
    row.exitCode = r.optInt64(7);
    row.finishedAt = r.optReal(8);
    out.push_back(std::move(row));
  });
  if (!s) return s.err();
  return out;
}

namespace {

constexpr const char* kMonitorColumns =
    "SELECT id, monitor, endpoint, model_group, model_version, baseline, window_start, "
    "window_end, status, detail, records, rows_seen, skipped, psi, ks, missing, violations, "
    "features_json, report_dir, alert, retrain_status, run_id, retrain_detail, finished_at, "
    "baseline_hash FROM monitor_executions ";

MonitorExecutionRow monitorRow(const sqlite::Query& r) {
  MonitorExecutionRow row;
  row.id = r.int64(0);
  row.monitor = r.text(1);
  row.endpoint = r.text(2);
  row.modelGroup = r.text(3);
  row.modelVersion = r.optInt64(4);
  row.baseline = r.text(5);
  row.windowStart = r.real(6);
  row.windowEnd = r.real(7);
  row.status = r.text(8);
  row.detail = r.text(9);
  row.records = r.int64(10);
  row.rows = r.int64(11);
  row.skipped = r.int64(12);
  row.psi = r.optReal(13);
  row.ks = r.optReal(14);
  row.missing = r.optReal(15);
  row.violations = r.int64(16);
  row.featuresJson = r.text(17);
  row.reportDir = r.text(18);
  row.alert = r.int64(19) != 0;
  if (!r.isNull(20)) row.retrainStatus = r.text(20);
  if (!r.isNull(21)) row.runId = r.text(21);
  row.retrainDetail = r.text(22);
  row.finishedAt = r.optReal(23);
  if (!r.isNull(24)) row.baselineHash = r.text(24);
  return row;
}

} // namespace

Result<int64_t> DeployLog::recordMonitorExecution(const MonitorExecutionRow& r) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q = db_.query(
      "INSERT INTO monitor_executions (monitor, endpoint, model_group, model_version, baseline, "
      "window_start, window_end, status, detail, records, rows_seen, skipped, psi, ks, missing, "
      "violations, features_json, report_dir, alert, retrain_status, run_id, retrain_detail, "
      "finished_at, baseline_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
      "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)");
  if (!q) return q.err();
  q->bindAll(r.monitor, r.endpoint, r.modelGroup, r.modelVersion, r.baseline, r.windowStart,
             r.windowEnd, r.status, r.detail, r.records, r.rows, r.skipped, r.psi, r.ks, r.missing,
             r.violations, r.featuresJson, r.reportDir, int64_t{r.alert ? 1 : 0}, r.retrainStatus,
             r.runId, r.retrainDetail, wallNow(), r.baselineHash);
  if (Status s = q->run(); !s) return s.err();
  return db_.lastInsertRowid();
}

Status DeployLog::setMonitorReportDir(int64_t id, const std::string& dir) {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE monitor_executions SET report_dir = ?2 WHERE id = ?1", id, dir);
}

Status DeployLog::setMonitorRetrain(int64_t id, const std::string& status,
                                    const std::optional<std::string>& runId,
                                    const std::string& detail) {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE monitor_executions SET retrain_status = ?2, "
                 "run_id = COALESCE(?3, run_id), "
                 "retrain_detail = CASE WHEN ?4 = '' THEN retrain_detail ELSE ?4 END "
                 "WHERE id = ?1",
                 id, status, runId, detail);
}

Status DeployLog::stopUnfinishedRetrains() {
  std::lock_guard lock(mu_);
  return db_.run("UPDATE monitor_executions SET retrain_status = 'Stopped' "
                 "WHERE retrain_status = 'Running'");
}

Result<std::vector<MonitorExecutionRow>> DeployLog::monitorExecutions(const std::string& monitor) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query(std::string(kMonitorColumns) + "WHERE ?1 = '' OR monitor = ?1 ORDER BY id");
  if (!q) return q.err();
  q->bind(1, monitor);
  std::vector<MonitorExecutionRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) { out.push_back(monitorRow(r)); });
  if (!s) return s.err();
  return out;
}

Status DeployLog::recordBaseline(const BaselineRow& b) {
  std::lock_guard lock(mu_);
  return db_.run("INSERT OR IGNORE INTO baselines (hash, data_hash, data_name, data_path, "
                 "rows_seen, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 b.hash, b.dataHash, b.dataName, b.dataPath, b.rows, wallNow());
}

Result<std::vector<BaselineRow>> DeployLog::baselines(const std::string& prefix) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query("SELECT hash, data_hash, data_name, data_path, rows_seen, created_at "
                "FROM baselines WHERE substr(hash, 1, length(?1)) = ?1 ORDER BY created_at, hash");
  if (!q) return q.err();
  q->bind(1, prefix);
  std::vector<BaselineRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) {
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.int64(4), r.real(5)});
  });
  if (!s) return s.err();
  return out;
}

Result<std::optional<MonitorExecutionRow>>
DeployLog::monitorExecutionOfRun(const std::string& runId) {
  std::lock_guard lock(mu_);
  Result<sqlite::Query> q =
      db_.query(std::string(kMonitorColumns) + "WHERE run_id = ?1 ORDER BY id LIMIT 1");
  if (!q) return q.err();
  q->bind(1, runId);
  std::optional<MonitorExecutionRow> out;
  Status s = eachRow(*q, [&](const sqlite::Query& r) { out = monitorRow(r); });
  if (!s) return s.err();
  return out;
}

} // namespace mlpc::meta
