#pragma once
/// The agent's schedules: each `schedule` of the plan starts its pipeline as a run of
/// `mlpc run PROGRAM --pipeline P --param …` in the agent's workspace, on `cron` (five fields,
/// UTC), `every` (from the agent's start), or `on_change` (data declarations polled every two
/// seconds through store::HashCache, which re-reads a file only when its stat changed). A schedule
/// has at most one run at a time: a firing while its run is still going is recorded as Skipped.
/// Every firing is recorded (meta::ScheduleRunRow) with the run it started and how that run ended.
/// Firings missed while no agent ran are not made up: the next agent counts them (from the marks
/// in `marksFile`, see missed_firings.h), records them as one `Missed` row and reports them.
/// The runs are the agent's children: they stop with it (SIGTERM, then SIGKILL) and die with it on
/// kill -9.
#include "deploy/missed_firings.h"
#include "deploy/pipeline_launch.h"
#include "meta/deploy_log.h"
#include "plan/cron.h"
#include "plan/model.h"
#include "store/hash_cache.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mlpc::deploy {

struct ScheduleOptions {
  std::string programFile; ///< the .mlp file `mlpc up` was given (absolute)
  std::string workspace;   ///< the agent's workspace (absolute)
  std::string baseDir;     ///< where the plan's relative data paths start
  std::string logDir;      ///< each run's output goes to a file here
  double pollS = 2;        ///< how often on_change data is checked
  std::string marksFile;   ///< each schedule's next firing, kept for the next agent ("": none)
};

class ScheduleRunner {
public:
  ScheduleRunner(const plan::Plan& plan, ScheduleOptions opts, Spawner& spawner,
                 meta::DeployLog& log);
  ~ScheduleRunner() { stop(); }
  ScheduleRunner(const ScheduleRunner&) = delete;
  ScheduleRunner& operator=(const ScheduleRunner&) = delete;

  /// Records the firings missed since the last agent, then starts the schedules' thread
  /// (nothing to do without schedules).
  void start();
  /// Stops the thread and every run still going (SIGTERM, SIGKILL after 10 s).
  void stop();
  /// Each schedule: its trigger, next firing (cron, every), running run, last firing, and the
  /// firings missed while no agent ran (`missed_at_start`).
  nlohmann::json status();

private:
  struct Entry {
    std::string name;
    plan::Schedule def;
    std::string trigger; ///< "cron", "every" or "on_change"
    std::optional<plan::Cron> cron;
    double everyS = 0;
    double nextAt = 0; ///< wall clock, cron and every
    std::string error; ///< why the schedule cannot fire (recorded once)
    std::vector<std::string> dataNames, dataPaths;
    std::map<std::string, std::string> hash; ///< per path: its content hash, "" when absent
    double lastPoll = 0;
    std::unique_ptr<PipelineLaunch> run;
    int64_t rowId = 0;
    int64_t missedAtStart = 0;
    double lastAgentAt = 0; ///< when the last agent wrote its marks (0: unknown)
  };
  void loop();
  void tick(Entry& e, double now);
  bool dataChanged(Entry& e, std::string& what);
  /// SHA-256 of a file, or the manifest hash of a directory; "" when it does not exist.
  std::string contentHash(const std::string& path);
  void fire(Entry& e, const std::string& detail);
  void reap(Entry& e, bool stopping);
  ScheduleMark mark(const Entry& e) const;
  void countMissed(double now);
  void recordMissed(Entry& e);
  void writeMarks();

  const plan::Plan& plan_;
  ScheduleOptions opts_;
  Spawner& spawner_;
  meta::DeployLog& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::vector<Entry> entries_;
  bool marksDirty_ = false; ///< a next firing moved since the marks were written
  double marksAt_ = 0;      ///< when they were written
  store::HashCache hashes_; ///< in memory only
  std::thread thread_;
};

} // namespace mlpc::deploy
