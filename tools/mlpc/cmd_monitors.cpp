// `mlpc monitors [--json]`: the running agent's monitors (endpoint, period, next run) with each
// one's last monitoring execution; `mlpc monitors show NAME [--json]`: every execution of one
// monitor from the workspace's records (the agent need not run), and the per-feature drift of
// the last one that compared anything.
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

struct MonitorsOpts {
  std::string workspace, name;
  bool json = false;
};

json opt(const std::optional<double>& v) {
  return v ? json(*v) : json();
}

json rowJson(const meta::MonitorExecutionRow& r, bool features) {
  json j{{"id", r.id},
         {"monitor", r.monitor},
         {"endpoint", r.endpoint},
         {"model_group", r.modelGroup},
         {"model_version", r.modelVersion ? json(*r.modelVersion) : json()},
         {"baseline", r.baseline},
         {"baseline_object", r.baselineHash ? json(*r.baselineHash) : json()},
         {"window_start", r.windowStart},
         {"window_end", r.windowEnd},
         {"status", r.status},
         {"detail", r.detail},
         {"records", r.records},
         {"rows", r.rows},
         {"skipped", r.skipped},
         {"psi", opt(r.psi)},
         {"ks", opt(r.ks)},
         {"missing_percent", opt(r.missing)},
         {"violations", r.violations},
         {"report_dir", r.reportDir},
         {"alert", r.alert},
         {"retrain_status", r.retrainStatus ? json(*r.retrainStatus) : json()},
         {"run_id", r.runId ? json(*r.runId) : json()},
         {"retrain_detail", r.retrainDetail}};
  if (features) j["features"] = json::parse(r.featuresJson, nullptr, false);
  return j;
}

std::optional<std::vector<meta::MonitorExecutionRow>> history(const std::string& ws,
                                                              const std::string& name) {
  return readDeployLog(ws, "the monitors' records",
                       [&](meta::DeployLog& log) { return log.monitorExecutions(name); });
}

std::string num(const std::optional<double>& v, const char* fmt = "%.3f") {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, *v);
  return buf;
}

/// "psi 0.412 ks 0.300 missing 0%", or the status alone when nothing was compared.
std::string drift(const meta::MonitorExecutionRow& r) {
  if (!r.psi) return "-";
  return "psi " + num(r.psi) + " ks " + num(r.ks) + " missing " + num(r.missing, "%.3g") + "%";
}

std::string retrain(const meta::MonitorExecutionRow& r) {
  if (!r.retrainStatus) return "-";
  return *r.retrainStatus + (r.runId ? " " + *r.runId : "");
}

void listCmd(const MonitorsOpts& o) {
  auto a = connectAgent(o.workspace);
  if (!a) return;
  auto st = agentGet(*a, "/mlpc/endpoints");
  if (!st) return;
  auto rows = history(a->workspace, "");
  if (!rows) return;
  json out = json::array();
  for (auto& m : st->value("monitors", json::array())) { // the agent status, not a plan
    json j = m;
    j["last"] = nullptr;
    for (auto& r : *rows)
      if (r.monitor == m.value("name", "")) j["last"] = rowJson(r, false);
    out.push_back(j);
  }
  if (o.json) {
    std::cout << json{{"monitors", out}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> t;
  for (auto& m : out) {
    char every[32];
    std::snprintf(every, sizeof every, "%g s", m.value("every_s", 0.0));
    std::string next = m["next_at"].is_number() ? formatTime(m["next_at"].get<double>()) : "-";
    std::string last = "-", alert = "-", re = m.value("retraining", false) ? "running" : "-";
    if (m["last"].is_object()) {
      auto& l = m["last"];
      last = formatTime(l["window_end"].get<double>()) + " " + l["status"].get<std::string>();
      if (l["psi"].is_number()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " (psi %.3f ks %.3f missing %.3g%%)", l["psi"].get<double>(),
                      l["ks"].get<double>(), l["missing_percent"].get<double>());
        last += buf;
      }
      alert = l["alert"].get<bool>() ? "yes" : "no";
      if (l["retrain_status"].is_string())
        re = l["retrain_status"].get<std::string>() +
             (l["run_id"].is_string() ? " " + l["run_id"].get<std::string>() : "");
    }
    t.push_back({m.value("name", ""), m.value("endpoint", ""), every, next, last, alert, re});
  }
  if (t.empty()) {
    std::cout << "the agent's program declares no monitor\n";
    return;
  }
  std::cout << table(
      {"MONITOR", "ENDPOINT", "EVERY", "NEXT", "LAST EXECUTION", "ALERT", "RETRAINING"}, t);
}

void showCmd(const MonitorsOpts& o) {
  auto ws = findWorkspaceDir(o.workspace);
  if (!ws) return;
  auto rows = history(*ws, o.name);
  if (!rows) return;
  if (rows->empty()) {
    std::cerr << "error: monitor `" << o.name
              << "` has no monitoring execution in this workspace\n";
    exitCode() = 1;
    return;
  }
  if (o.json) {
    json out = json::array();
    for (auto& r : *rows)
      out.push_back(rowJson(r, true));
    std::cout << json{{"monitor", o.name}, {"executions", out}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> t;
  for (auto& r : *rows) {
    std::string served =
        r.modelVersion ? r.modelGroup + " v" + std::to_string(*r.modelVersion) : std::string("-");
    t.push_back(
        {std::to_string(r.id), formatTime(r.windowEnd), served, r.status,
         std::to_string(r.rows) + (r.skipped ? " (" + std::to_string(r.skipped) + " skipped)" : ""),
         drift(r), std::to_string(r.violations), r.alert ? "yes" : "no", retrain(r)});
  }
  std::cout << table({"ID", "WINDOW END", "SERVED", "STATUS", "ROWS", "DRIFT (WORST)", "VIOLATIONS",
                      "ALERT", "RETRAINING"},
                     t);
  // The per-feature values of the last execution that compared anything.
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    json f = json::parse(it->featuresJson, nullptr, false);
    if (!it->psi || !f.is_array() || f.empty()) continue;
    std::cout << "\nexecution " << it->id << " against baseline " << it->baseline;
    if (it->baselineHash) // kept in the store: `mlpc lineage baseline:HASH` leads to its data
      std::cout << " (stored as baseline:" << it->baselineHash->substr(0, 12) << ")";
    std::cout << ":\n";
    std::vector<std::vector<std::string>> ft;
    for (auto& x : f) {
      auto n = [&](const char* k) {
        auto v = x.find(k);
        return v != x.end() && v->is_number() ? num(v->get<double>()) : std::string("-");
      };
      ft.push_back({x.value("name", ""), n("psi"), n("ks"), n("missing_percent") + "%"});
    }
    std::cout << table({"FEATURE", "PSI", "KS", "MISSING"}, ft);
    if (!it->detail.empty()) std::cout << "note: " << it->detail << "\n";
    if (!it->reportDir.empty()) std::cout << "report: " << it->reportDir << "\n";
    break;
  }
}

} // namespace

void registerMonitors(CLI::App& app) {
  auto o = std::make_shared<MonitorsOpts>();
  auto* cmd = app.add_subcommand(
      "monitors", "The running agent's monitors: period, next run, last execution, retraining");
  cmd->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*cmd, o->workspace);
  cmd->callback([o, cmd] {
    if (cmd->get_subcommands().empty()) listCmd(*o);
  });
  auto* show = cmd->add_subcommand(
      "show", "Every monitoring execution of one monitor: window, drift, violations, alert, "
              "the retraining run it started; the last one's values per feature");
  show->add_option("NAME", o->name, "The monitor's name")->required();
  show->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*show, o->workspace);
  show->callback([o] { showCmd(*o); });
}

} // namespace mlpc::cli
