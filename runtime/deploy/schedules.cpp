#include "deploy/schedules.h"

#include "exec/shell_quote.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

extern char** environ;

namespace mlpc::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string number(double v) {
  json j = v == std::floor(v) && std::fabs(v) < 1e15 ? json(static_cast<int64_t>(v)) : json(v);
  return j.dump();
}

std::string selfExe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "/proc/self/exe" : p.string();
}

} // namespace

std::string paramText(const plan::Expr& e) {
  if (e.kind == plan::ExprKind::List) {
    std::string out;
    for (auto& item : e.items) {
      if (!item) return "";
      std::string v = paramText(*item);
      if (v.empty()) return "";
      out += (out.empty() ? "" : ",") + v;
    }
    return out;
  }
  if (e.kind != plan::ExprKind::Lit) return "";
  const json& v = e.value;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (!v.is_number()) return "";
  double x = v.get<double>();
  if (e.type == "duration") return number(x) + "s";
  if (e.type == "size") return number(x) + "B";
  if (e.type == "percent") return number(x) + "%";
  return v.dump();
}

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
  thread_ = std::thread([this] { loop(); });
}

void ScheduleRunner::stop() {
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

void ScheduleRunner::loop() {
  std::unique_lock lock(mu_);
  while (!quit_) {
    double now = meta::wallNow();
    for (auto& e : entries_)
      tick(e, now);
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

std::string ScheduleRunner::command(const Entry& e, std::string& error) const {
  if (opts_.programFile.empty()) {
    error = "the agent serves a plan file; scheduled runs need the .mlp program (mlpc up FILE.mlp)";
    return "";
  }
  if (!e.def.run || e.def.run->kind != plan::ExprKind::Pipeline) {
    error = "`run` does not name a pipeline";
    return "";
  }
  std::string cmd = exec::shellQuote(selfExe()) + " run " + exec::shellQuote(opts_.programFile) +
                    " --pipeline " + exec::shellQuote(e.def.run->name);
  for (auto& [k, v] : e.def.run->named) {
    if (!v) continue;
    std::string text = paramText(*v);
    if (text.empty() && !(v->kind == plan::ExprKind::Lit && v->value.is_string())) {
      error = "the argument `" + k + "` is not a constant the agent can pass as --param";
      return "";
    }
    cmd += " --param " + exec::shellQuote(k + "=" + text);
  }
  return cmd + " --workspace " + exec::shellQuote(opts_.workspace) + " --json";
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
  SpawnRequest req;
  req.command = command(e, error);
  if (req.command.empty()) {
    (void)log_.finishScheduleRun(*id, "Failed", std::nullopt, std::nullopt, detail + "; " + error);
    return;
  }
  req.workdir = fs::path(opts_.programFile).parent_path().string();
  for (char** v = environ; v && *v; ++v) {
    std::string kv = *v;
    auto eq = kv.find('=');
    if (eq != std::string::npos) req.env.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  std::error_code ec;
  fs::create_directories(opts_.logDir, ec);
  e.logPath = opts_.logDir + "/schedule-" + e.name + "-" + std::to_string(*id) + ".log";
  req.logPath = e.logPath;
  pid_t pid = spawner_.spawn(req, error);
  if (pid < 0) {
    (void)log_.finishScheduleRun(*id, "Failed", std::nullopt, std::nullopt,
                                 detail + "; cannot start `mlpc run`: " + error);
    return;
  }
  e.run = std::make_unique<ServerProcess>(pid);
  e.rowId = *id;
}

void ScheduleRunner::reap(Entry& e, bool stopping) {
  if (!e.run) return;
  bool stopped = false; // by the agent; a run that had already ended keeps its outcome
  if (e.run->alive()) {
    if (!stopping) return;
    e.run->stop(10.0); // `mlpc run` stops its steps and records the run as interrupted
    stopped = true;
  }
  std::string ending = e.run->ending();
  std::optional<int64_t> code;
  if (ending.rfind("exit ", 0) == 0) code = std::stoll(ending.substr(5));
  // The run's id from its `run_finished` (or `run_started`) event.
  std::optional<std::string> runId;
  std::ifstream in(e.logPath);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    json ev = json::parse(line, nullptr, false); // an event of `mlpc run --json`
    if (!ev.is_object()) continue;
    if (auto it = ev.find("run"); it != ev.end() && it->is_string()) runId = it->get<std::string>();
  }
  std::string status = stopped ? "Stopped" : code == 0 ? "Succeeded" : "Failed";
  (void)log_.finishScheduleRun(e.rowId, status, runId, code,
                               code == 0 || stopped ? "" : "mlpc run ended: " + ending);
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
    j["next_at"] =
        (e.trigger == "cron" || e.trigger == "every") && e.error.empty() ? json(e.nextAt) : json();
    out.push_back(j);
  }
  return out;
}

} // namespace mlpc::deploy
