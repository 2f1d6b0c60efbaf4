#include "deploy/schedules.h"

#include "monitor/capture_window.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

namespace mlpc::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string number(double v) {
  json j = v == std::floor(v) && std::fabs(v) < 1e15 ? json(static_cast<int64_t>(v)) : json(v);
  return j.dump();
}

constexpr int64_t kMissedCap = 100000;

std::string missedText(int64_t n) {
  return (n >= kMissedCap ? "at least " : "") + std::to_string(n) +
         (n == 1 ? " firing missed" : " firings missed");
}

} // namespace

ScheduleRunner::ScheduleRunner(const plan::Plan& plan, ScheduleOptions opts, Spawner& spawner,
                               meta::DeployLog& log)
    : plan_(plan), opts_(std::move(opts)), spawner_(spawner), log_(log) {
  double now = meta::wallNow();
  for (auto& [name, def] : plan_.schedules) {
    Entry e;
    e.name = name;
    e.def = def;
    if (def.cron && def.cron->is_string()) {
      e.trigger = "cron";
      std::string why;
      e.cron = plan::parseCron(def.cron->get<std::string>(), why);
      auto next = e.cron ? plan::nextCronTime(*e.cron, static_cast<int64_t>(now)) : std::nullopt;
      if (!next)
        e.error = e.cron ? "the cron expression never fires" : "cron: " + why;
      else
        e.nextAt = static_cast<double>(*next);
    } else if (def.everyS && def.everyS->is_number() && def.everyS->get<double>() > 0) {
      e.trigger = "every";
      e.everyS = def.everyS->get<double>();
      e.nextAt = now + e.everyS;
    } else if (def.onChange) {
      e.trigger = "on_change";
      std::vector<plan::ExprP> refs;
      if (def.onChange->kind == plan::ExprKind::List)
        refs = def.onChange->items;
      else
        refs = {def.onChange};
      for (auto& r : refs) {
        const plan::DataDecl* d =
            r && r->kind == plan::ExprKind::Data ? plan_.data.find(r->name) : nullptr;
        if (!d) {
          e.error = "on_change names something that is not a data declaration";
          break;
        }
        fs::path p =
            fs::path(d->path).is_absolute() ? fs::path(d->path) : fs::path(opts_.baseDir) / d->path;
        e.dataNames.push_back(r->name);
        e.dataPaths.push_back(p.lexically_normal().string());
      }
      for (auto& p : e.dataPaths) // the state at the agent's start is the reference
        e.hash[p] = contentHash(p);
    } else {
      e.trigger = "none";
      e.error = "the schedule has no cron, every or on_change";
    }
    entries_.push_back(std::move(e));
  }
  countMissed(now);
}

ScheduleMark ScheduleRunner::mark(const Entry& e) const {
  if (!e.error.empty() || (e.trigger != "cron" && e.trigger != "every")) return {};
  std::string spec = e.trigger == "cron" ? e.def.cron->get<std::string>() : number(e.everyS);
  return {e.trigger, spec, e.nextAt};
}

void ScheduleRunner::countMissed(double now) {
  if (opts_.marksFile.empty()) return;
  auto before = readScheduleMarks(opts_.marksFile);
  double writtenAt = 0;
  for (auto& [name, m] : before)
    writtenAt = std::max(writtenAt, m.writtenAt);
  for (auto& e : entries_) {
    auto was = before.find(e.name);
    if (was == before.end()) continue;
    // A minute-by-minute cron down for years would walk millions of minutes: count up to a cap.
    e.missedAtStart = missedFirings(was->second, mark(e), e.cron, now, kMissedCap);
    e.lastAgentAt = was->second.writtenAt;
  }
}

void ScheduleRunner::recordMissed(Entry& e) {
  if (e.missedAtStart == 0) return;
  meta::ScheduleRunRow row;
  row.schedule = e.name;
  row.trigger = e.trigger;
  row.status = "Missed";
  row.detail = missedText(e.missedAtStart) + " while no agent ran (the last agent was seen at " +
               monitor::isoUtc(e.lastAgentAt) + "); missed firings are not made up";
  if (auto id = log_.startScheduleRun(row))
    (void)log_.finishScheduleRun(*id, "Missed", std::nullopt, std::nullopt, row.detail);
}

void ScheduleRunner::writeMarks() {
  if (opts_.marksFile.empty()) return;
  std::map<std::string, ScheduleMark> marks;
  for (auto& e : entries_)
    if (auto m = mark(e); !m.trigger.empty()) marks[e.name] = m;
  marksAt_ = meta::wallNow();
  marksDirty_ = !writeScheduleMarks(opts_.marksFile, marks, marksAt_);
}

std::string ScheduleRunner::contentHash(const std::string& path) {
  // The cache re-reads a file only when its stat changed, so a poll costs stats, not reads.
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    auto h = hashes_.hashFile(path);
    return h ? *h : "";
  }
  if (!fs::is_directory(path, ec)) return "";
  auto t = hashes_.hashTree(path);
  return t ? t->hash : "";
}

void ScheduleRunner::start() {
  if (entries_.empty() || thread_.joinable()) return;
  for (auto& e : entries_)
    recordMissed(e);
  writeMarks();
  thread_ = std::thread([this] { loop(); });
}

void ScheduleRunner::stop() {
  {
    std::lock_guard lock(mu_);
    if (quit_) return;
    quit_ = true;
  }
  cv_.notify_all();
  bool started = thread_.joinable();
  if (started) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& e : entries_)
    reap(e, true);
  // The time this agent stopped. An agent that never started leaves the last marks as they are:
  // the firings they count are still to be reported.
  if (started) writeMarks();
}

void ScheduleRunner::loop() {
  std::unique_lock lock(mu_);
  while (!quit_) {
    double now = meta::wallNow();
    for (auto& e : entries_)
      tick(e, now);
    // Rewritten when a next firing moved, and every 10 s so that its time says when this agent
    // was last seen alive (after a kill -9 too).
    if (marksDirty_ || now - marksAt_ >= 10) writeMarks();
    cv_.wait_for(lock, std::chrono::milliseconds(250));
  }
}

void ScheduleRunner::tick(Entry& e, double now) {
  reap(e, false);
  if (!e.error.empty()) return;
  if (e.trigger == "on_change") {
    if (now - e.lastPoll < opts_.pollS) return;
    e.lastPoll = now;
    std::string what;
    if (dataChanged(e, what)) fire(e, what);
    return;
  }
  if (now < e.nextAt) return;
  std::string detail;
  if (e.trigger == "cron") {
    detail = "cron \"" + e.def.cron->get<std::string>() + "\"";
    auto next = plan::nextCronTime(*e.cron, static_cast<int64_t>(now));
    e.nextAt = next ? static_cast<double>(*next) : 1e18;
  } else {
    detail = "every " + number(e.everyS) + " s";
    // The next firing keeps the rhythm from the agent's start, skipping missed ones.
    while (e.nextAt <= now)
      e.nextAt += e.everyS;
  }
  marksDirty_ = true;
  fire(e, detail);
}

bool ScheduleRunner::dataChanged(Entry& e, std::string& what) {
  bool changed = false;
  for (size_t i = 0; i < e.dataPaths.size(); ++i) {
    const std::string& p = e.dataPaths[i];
    std::string h = contentHash(p);
    if (h == e.hash[p]) continue;
    e.hash[p] = h;
    what += (what.empty() ? "" : ", ") + e.dataNames[i] +
            (h.empty() ? " was removed" : " changed (" + h.substr(0, 12) + ")");
    changed = true;
  }
  return changed;
}

void ScheduleRunner::fire(Entry& e, const std::string& detail) {
  meta::ScheduleRunRow row;
  row.schedule = e.name;
  row.trigger = e.trigger;
  row.detail = detail;
  if (e.run) { // at most one run per schedule
    row.status = "Skipped";
    if (auto id = log_.startScheduleRun(row))
      (void)log_.finishScheduleRun(*id, "Skipped", std::nullopt, std::nullopt,
                                   detail + "; the previous run has not finished");
    return;
  }
  row.status = "Running";
  auto id = log_.startScheduleRun(row);
  if (!id) return;
  std::string error;
  LaunchOptions lo{opts_.programFile, opts_.workspace, opts_.logDir};
  e.run = PipelineLaunch::start(e.def.run.get(), lo, spawner_,
                                "schedule-" + e.name + "-" + std::to_string(*id) + ".log", error);
  if (!e.run) {
    (void)log_.finishScheduleRun(*id, "Failed", std::nullopt, std::nullopt,
                                 detail + "; `run`: " + error);
    return;
  }
  e.rowId = *id;
}

void ScheduleRunner::reap(Entry& e, bool stopping) {
  if (!e.run) return;
  auto out = e.run->finish(stopping);
  if (!out) return;
  (void)log_.finishScheduleRun(e.rowId, out->status, out->runId, out->exitCode, out->error);
  e.run.reset();
}

json ScheduleRunner::status() {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (auto& e : entries_) {
    json j{{"name", e.name},
           {"trigger", e.trigger},
           {"pipeline", e.def.run ? json(e.def.run->name) : json()},
           {"running", e.run != nullptr},
           {"error", e.error}};
    if (e.trigger == "cron") j["cron"] = *e.def.cron;
    if (e.trigger == "every") j["every_s"] = e.everyS;
    if (e.trigger == "on_change") j["data"] = e.dataNames;
    j["missed_at_start"] = e.missedAtStart;
    j["next_at"] =
        (e.trigger == "cron" || e.trigger == "every") && e.error.empty() ? json(e.nextAt) : json();
    out.push_back(j);
  }
  return out;
}

} // namespace mlpc::deploy
