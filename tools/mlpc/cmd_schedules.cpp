// `mlpc schedules [--json]`: the running agent's schedules (trigger, pipeline, next firing,
// whether a run is going) with each one's last firing; `mlpc schedules show NAME [--json]`:
// every firing of one schedule from the workspace's records (the agent need not run).
#include "agent_client.h"
#include "commands.h"
#include "common.h"
#include "history_support.h"

#include "meta/deploy_log.h"

#include <cstdio>
#include <iostream>

namespace mlpc::cli {

using nlohmann::json;

namespace {

struct SchedulesOpts {
  std::string workspace, name;
  bool json = false;
};

json rowJson(const meta::ScheduleRunRow& r) {
  return {{"id", r.id},
          {"schedule", r.schedule},
          {"trigger", r.trigger},
          {"detail", r.detail},
          {"fired_at", r.firedAt},
          {"status", r.status},
          {"run_id", r.runId ? json(*r.runId) : json()},
          {"exit_code", r.exitCode ? json(*r.exitCode) : json()},
          {"finished_at", r.finishedAt ? json(*r.finishedAt) : json()}};
}

std::optional<std::vector<meta::ScheduleRunRow>> history(const std::string& ws,
                                                         const std::string& name) {
  return readDeployLog(ws, "the schedules' records",
                       [&](meta::DeployLog& log) { return log.scheduleRuns(name); });
}

/// A string field of the agent's status (not a plan), or "-".
std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "-";
}

void listCmd(const SchedulesOpts& o) {
  auto a = connectAgent(o.workspace);
  if (!a) return;
  auto st = agentGet(*a, "/mlpc/endpoints");
  if (!st) return;
  auto rows = history(a->workspace, "");
  if (!rows) return;
  json out = json::array();
  for (auto& s : st->value("schedules", json::array())) { // the agent status, not a plan
    json j = s;
    j["last"] = nullptr;
    for (auto& r : *rows)
      if (r.schedule == s.value("name", "")) j["last"] = rowJson(r);
    out.push_back(j);
  }
  if (o.json) {
    std::cout << json{{"schedules", out}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> table_;
  for (auto& s : out) {
    std::string when = s.value("trigger", "");
    if (s.contains("cron")) when += " \"" + s["cron"].get<std::string>() + "\"";
    if (s.contains("every_s")) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " %g s", s["every_s"].get<double>());
      when += buf;
    }
    if (s.contains("data")) {
      std::string names;
      for (auto& d : s["data"])
        names += (names.empty() ? "" : ", ") + d.get<std::string>();
      when += " [" + names + "]";
    }
    std::string next = s["next_at"].is_number() ? formatTime(s["next_at"].get<double>()) : "-";
    std::string last = "-";
    if (s["last"].is_object()) {
      auto& l = s["last"];
      last = formatTime(l["fired_at"].get<double>()) + " " + l["status"].get<std::string>() +
             (l["run_id"].is_string() ? " " + l["run_id"].get<std::string>() : "");
    }
    if (s.value("running", false)) last += " (a run is going)";
    if (!s.value("error", "").empty()) next = "cannot fire: " + s["error"].get<std::string>();
    table_.push_back({s.value("name", ""), when, text(s, "pipeline"), next, last});
  }
  if (table_.empty()) {
    std::cout << "the agent's program declares no schedule\n";
    return;
  }
  std::cout << table({"SCHEDULE", "TRIGGER", "PIPELINE", "NEXT", "LAST FIRING"}, table_);
}

void showCmd(const SchedulesOpts& o) {
  auto ws = findWorkspaceDir(o.workspace);
  if (!ws) return;
  auto rows = history(*ws, o.name);
  if (!rows) return;
  if (rows->empty()) {
    std::cerr << "error: schedule `" << o.name << "` never fired in this workspace\n";
    exitCode() = 1;
    return;
  }
  if (o.json) {
    json out = json::array();
    for (auto& r : *rows)
      out.push_back(rowJson(r));
    std::cout << json{{"schedule", o.name}, {"firings", out}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> t;
  for (auto& r : *rows)
    t.push_back({formatTime(r.firedAt), r.trigger, r.status, r.runId.value_or("-"),
                 r.exitCode ? std::to_string(*r.exitCode) : "-", r.detail});
  std::cout << table({"FIRED", "TRIGGER", "STATUS", "RUN", "EXIT", "WHY"}, t);
}

} // namespace

void printMissedFirings(const json& status) {
  auto list = status.find("schedules"); // the agent status, not a plan
  if (list == status.end() || !list->is_array()) return;
  for (auto& s : *list) {
    int64_t n = s.value("missed_at_start", int64_t{0});
    if (n <= 0) continue;
    std::string name = text(s, "name");
    std::cout << "schedule `" << name << "`: " << n << (n == 1 ? " firing" : " firings")
              << " missed while no agent ran; missed firings are not made up (mlpc schedules show "
              << name << ")\n";
  }
}

void registerSchedules(CLI::App& app) {
  auto o = std::make_shared<SchedulesOpts>();
  auto* cmd = app.add_subcommand(
      "schedules", "The running agent's schedules: trigger, next firing, last run started");
  cmd->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*cmd, o->workspace);
  cmd->callback([o, cmd] {
    if (cmd->get_subcommands().empty()) listCmd(*o);
  });
  auto* show = cmd->add_subcommand(
      "show", "Every firing of one schedule: why, the run it started, how that run ended");
  show->add_option("NAME", o->name, "The schedule's name")->required();
  show->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*show, o->workspace);
  show->callback([o] { showCmd(*o); });
}

} // namespace mlpc::cli
