#include "deploy/monitors.h"

#include "deploy/alarm.h"
#include "monitor/capture_window.h"
#include "monitor/drift.h"
#include "store/sha256.h"
#include "store/workspace_lock.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mlpc::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kCooldownPeriods = 10; // an alert storm starts one run per ten periods

/// Writes `j` to `path` whole or not at all (a reader never sees half a file).
void writeJson(const fs::path& path, const nlohmann::ordered_json& j) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return;
  }
  fs::rename(tmp, path, ec);
}

std::string stampOf(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return "";
  auto t = fs::last_write_time(path, ec);
  return std::to_string(size) + "@" + std::to_string(t.time_since_epoch().count());
}

} // namespace

MonitorRunner::MonitorRunner(const plan::Plan& plan, MonitorOptions opts, Spawner& spawner,
                             meta::DeployLog& log, meta::MetaStore& meta, const store::Store& store,
                             ServedLookup served)
    : plan_(plan), opts_(std::move(opts)), spawner_(spawner), log_(log), meta_(meta), store_(store),
      served_(std::move(served)) {
  double now = meta::wallNow();
  for (auto& [name, def] : plan_.monitors) {
    Entry e;
    e.name = name;
    e.def = def;
    e.everyS = def.everyS.is_number() ? def.everyS.get<double>() : 3600;
    if (e.everyS <= 0) e.everyS = 3600;
    e.nextAt = now + e.everyS;
    // The first window starts where the last recorded one ended (requests captured while the
    // agent was down are read then), else at the agent's start.
    e.windowStart = now;
    if (auto rows = log_.monitorExecutions(name); rows && !rows->empty())
      e.windowStart = std::min(now, rows->back().windowEnd);
    entries_.push_back(std::move(e));
  }
}

void MonitorRunner::start() {
  if (entries_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void MonitorRunner::stop() {
  {
    std::lock_guard lock(mu_);
    if (quit_) return;
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& e : entries_)
    reap(e, true);
}

void MonitorRunner::loop() {
  std::unique_lock lock(mu_);
  while (!quit_) {
    double now = meta::wallNow();
    for (auto& e : entries_) {
      reap(e, false);
      if (now >= e.nextAt) {
        // The next run keeps the rhythm from the agent's start, skipping missed ones.
        while (e.nextAt <= now)
          e.nextAt += e.everyS;
        runOnce(e, now);
      }
    }
    cv_.wait_for(lock, std::chrono::milliseconds(250));
  }
}

std::shared_ptr<const monitor::DatasetStats> MonitorRunner::statsOf(const std::string& path,
                                                                    std::string& error) {
  std::string stamp = stampOf(path);
  if (stamp.empty()) {
    error = path + " does not exist";
    return nullptr;
  }
  if (auto it = stats_.find(path); it != stats_.end() && it->second.first == stamp)
    return it->second.second;
  auto s = monitor::computeStatistics(path, error);
  if (!s) return nullptr;
  auto shared = std::make_shared<const monitor::DatasetStats>(std::move(*s));
  stats_[path] = {stamp, shared};
  return shared;
}

std::optional<MonitorRunner::Baseline>
MonitorRunner::baseline(const Entry& e, const std::optional<ServedModel>& served,
                        std::string& error) {
  Baseline b;
  std::string path, dataHash; // dataHash: the artifact the training data is; "" for a data file
  if (!e.def.trainingDataBaseline) {
    const plan::Expr* x = e.def.baseline.get();
    const plan::DataDecl* d =
        x && x->kind == plan::ExprKind::Data ? plan_.data.find(x->name) : nullptr;
    if (!d) {
      error = "the baseline is not a data declaration the agent can read";
      return std::nullopt;
    }
    fs::path p =
        fs::path(d->path).is_absolute() ? fs::path(d->path) : fs::path(opts_.baseDir) / d->path;
    path = p.lexically_normal().string();
    b.what = x->name;
  } else {
    if (!served) {
      error = "the endpoint serves no version yet, so it has no training data";
      return std::nullopt;
    }
    std::string ver = served->group + " v" + std::to_string(served->version);
    auto v = meta_.getVersion(served->group, served->version);
    if (!v) {
      error = "the registry has no " + ver + ": " + v.err().message;
      return std::nullopt;
    }
    // The execution that made the version: recorded at registration, else the producer of its
    // artifact.
    std::optional<int64_t> exec = v->executionId;
    if (!exec)
      if (auto p = meta_.producerOf(v->artifactHash); p && *p) exec = (*p)->id;
    if (!exec) {
      error = "no recorded execution made " + ver + "'s artifact, so its training data is unknown";
      return std::nullopt;
    }
    auto inputs = meta_.inputsOf(*exec);
    if (!inputs) {
      error = "the inputs of " + ver + "'s training step: " + inputs.err().message;
      return std::nullopt;
    }
    const meta::Binding* chosen = nullptr;
    for (auto& in : *inputs)
      if (in.name == "data") chosen = &in;
    for (auto& in : *inputs)
      if (!chosen && in.artifact.type.rfind("Dataset", 0) == 0) chosen = &in;
    if (!chosen) {
      error = "the training step of " + ver + " read no dataset";
      return std::nullopt;
    }
    std::string hash = chosen->artifact.hash;
    dataHash = hash;
    b.what =
        "training data of " + ver + " (input `" + chosen->name + "`, " + hash.substr(0, 12) + ")";
    auto p = store_.path(hash);
    if (!p) {
      error = "the training data of " + ver + " (input `" + chosen->name + "`, artifact " +
              hash.substr(0, 12) + ") is gone from the store";
      return std::nullopt;
    }
    path = *p;
    std::error_code ec;
    if (fs::is_directory(path, ec)) { // a dataset directory: its first CSV file
      std::vector<std::string> csvs;
      for (auto& f : fs::recursive_directory_iterator(path, ec))
        if (f.path().extension() == ".csv") csvs.push_back(f.path().string());
      std::sort(csvs.begin(), csvs.end());
      if (csvs.empty()) {
        error = "the training data of " + ver + " (" + hash.substr(0, 12) + ") has no CSV file";
        return std::nullopt;
      }
      path = csvs.front();
    }
  }
  b.stats = statsOf(path, error);
  if (!b.stats) {
    error = "baseline " + b.what + ": " + error;
    return std::nullopt;
  }
  b.hash = keepBaseline(path, dataHash, b);
  return b;
}

std::string MonitorRunner::keepBaseline(const std::string& path, std::string dataHash,
                                        const Baseline& b) {
  std::string key = path + "\n" + stampOf(path);
  if (auto it = kept_.find(key); it != kept_.end()) return it->second;
  if (dataHash.empty()) { // a data declaration's file: described by its bytes
    auto h = store::sha256File(path);
    if (!h) return "";
    dataHash = *h;
  }
  // Staged in the store's tmp/ and moved in; the shared workspace lock keeps `mlpc verify
  // --repair` from removing the object between the put and the row that refers to it.
  auto lock = store::WorkspaceLock::shared(store_.workspace());
  if (!lock) return "";
  std::string stage = store_.tmpDir() + "/baseline-XXXXXX";
  if (!::mkdtemp(stage.data())) return "";
  writeJson(fs::path(stage) / "statistics.json", monitor::statisticsJson(*b.stats));
  writeJson(fs::path(stage) / "constraints.json", monitor::constraintsJson(*b.stats));
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(stage) / "statistics.json", ec) ||
      !fs::is_regular_file(fs::path(stage) / "constraints.json", ec)) {
    fs::remove_all(stage, ec);
    return "";
  }
  auto put = store_.put(stage, /*move=*/true);
  fs::remove_all(stage, ec); // left only when the put failed
  if (!put) return "";
  meta::BaselineRow row{put->hash, dataHash, b.what, path, b.stats->rows, 0};
  if (!log_.recordBaseline(row)) return "";
  kept_[key] = put->hash;
  return put->hash;
}

void MonitorRunner::runOnce(Entry& e, double now) {
  meta::MonitorExecutionRow row;
  row.monitor = e.name;
  row.endpoint = e.def.endpoint;
  row.windowStart = e.windowStart;
  row.windowEnd = now;
  e.windowStart = now;
  std::optional<ServedModel> served = served_ ? served_(e.def.endpoint) : std::nullopt;
  if (served) {
    row.modelGroup = served->group;
    row.modelVersion = served->version;
  }
  std::string error;
  auto base = baseline(e, served, error);
  if (!base) {
    row.status = "Failed";
    row.detail = error;
    (void)log_.recordMonitorExecution(row);
    return;
  }
  row.baseline = base->what;
  if (!base->hash.empty()) row.baselineHash = base->hash;
  std::vector<std::string> features = served ? served->features : std::vector<std::string>{};
  if (features.empty()) // positional rows then take the baseline's columns in order
    for (auto& c : base->stats->columns)
      features.push_back(c.name);
  auto window = monitor::readCaptureWindow(opts_.captureDir + "/" + e.def.endpoint,
                                           monitor::isoUtc(row.windowStart),
                                           monitor::isoUtc(row.windowEnd), features);
  row.records = window.records;
  row.rows = static_cast<int64_t>(window.rows.size());
  row.skipped = window.skipped;
  std::string skippedWhy;
  for (auto& p : window.problems)
    skippedWhy += (skippedWhy.empty() ? "" : "; ") + p;
  if (row.rows < opts_.minRows) {
    row.status = "NoData";
    row.detail = std::to_string(row.rows) + " rows in the window, fewer than the " +
                 std::to_string(opts_.minRows) + " a comparison needs" +
                 (skippedWhy.empty() ? "" : " (skipped: " + skippedWhy + ")");
    (void)log_.recordMonitorExecution(row);
    return;
  }
  auto winStats = monitor::statisticsOf(window.header, window.rows);
  auto report = monitor::compare(*base->stats, winStats, window.named);
  row.psi = report.worstPsi;
  row.ks = report.worstKs;
  row.missing = report.worstMissing;
  row.violations = static_cast<int64_t>(report.violations.size());
  row.featuresJson = monitor::featuresJson(report).dump();
  row.status = report.violations.empty() ? "Completed" : "CompletedWithViolations";
  if (!skippedWhy.empty())
    row.detail = std::to_string(row.skipped) + " record(s) skipped: " + skippedWhy;
  std::map<std::string, double> readings{
      {"psi", report.worstPsi}, {"ks", report.worstKs}, {"missing", report.worstMissing}};
  if (e.def.alert) {
    std::string why;
    auto trips = alarmTrips(*e.def.alert, readings, why);
    if (!trips) row.detail += (row.detail.empty() ? "" : "; ") + std::string("alert: ") + why;
    row.alert = trips.value_or(false);
  }
  auto id = log_.recordMonitorExecution(row);
  if (!id) return;
  row.id = *id;
  fs::path dir = fs::path(opts_.outDir) / e.name / std::to_string(*id);
  writeJson(dir / "statistics.json", monitor::statisticsJson(winStats));
  writeJson(dir / "constraint_violations.json", monitor::violationsJson(report));
  writeJson(dir / "baseline_constraints.json", monitor::constraintsJson(*base->stats));
  (void)log_.setMonitorReportDir(*id, dir.string());
  if (row.alert) alerted(e, row, now);
}

void MonitorRunner::alerted(Entry& e, meta::MonitorExecutionRow& row, double now) {
  if (!e.def.onAlert) return;
  if (e.retrain) {
    (void)log_.setMonitorRetrain(row.id, "Busy", std::nullopt,
                                 "the retraining run of execution " + std::to_string(e.retrainRow) +
                                     " has not finished");
    return;
  }
  if (now < e.coolUntil) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "cooling down for %.0f s more", e.coolUntil - now);
    (void)log_.setMonitorRetrain(row.id, "CoolingDown", std::nullopt, buf);
    return;
  }
  std::string error;
  e.retrain =
      PipelineLaunch::start(e.def.onAlert.get(), opts_.launch, spawner_,
                            "monitor-" + e.name + "-" + std::to_string(row.id) + ".log", error);
  if (!e.retrain) {
    (void)log_.setMonitorRetrain(row.id, "Failed", std::nullopt, "`on_alert`: " + error);
    return;
  }
  e.retrainRow = row.id;
  e.coolUntil = now + kCooldownPeriods * e.everyS;
  (void)log_.setMonitorRetrain(row.id, "Running", std::nullopt,
                               "started " + e.def.onAlert->name + " (" + e.retrain->logPath() +
                                   ")");
}

void MonitorRunner::reap(Entry& e, bool stopping) {
  if (!e.retrain) return;
  auto out = e.retrain->finish(stopping);
  if (!out) return;
  (void)log_.setMonitorRetrain(e.retrainRow, out->status, out->runId, out->error);
  e.retrain.reset();
}

json MonitorRunner::status() {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (auto& e : entries_) {
    json j{{"name", e.name},
           {"endpoint", e.def.endpoint},
           {"every_s", e.everyS},
           {"next_at", e.nextAt},
           {"window_start", e.windowStart},
           {"retraining", e.retrain != nullptr},
           {"cool_until", e.coolUntil > 0 ? json(e.coolUntil) : json()}};
    out.push_back(j);
  }
  return out;
}

} // namespace mlpc::deploy
