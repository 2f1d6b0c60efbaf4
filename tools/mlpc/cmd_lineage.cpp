// `mlpc lineage REF`: which data, code, params and command made an artifact (or what was made
// from it). REF is an artifact hash prefix, RUN:step.output, or GROUP@VERSION.
#include "artifact_ref.h"
#include "commands.h"
#include "endpoint_ref.h"
#include "history_support.h"
#include "lineage_graph.h"

#include "meta/deploy_log.h"

#include <cstdio>
#include <iostream>

namespace mlpc::cli {

namespace {

/// The monitoring execution whose alert started the run that made GROUP@VERSION `ref`, if one
/// did (the closed loop: alert -> retraining run -> version).
std::optional<meta::MonitorExecutionRow> alertBehind(meta::MetaStore& meta, const std::string& dir,
                                                     const std::string& ref) {
  auto at = ref.rfind('@');
  if (at == std::string::npos || at == 0) return std::nullopt;
  int64_t version = 0;
  try {
    version = std::stoll(ref.substr(at + 1));
  } catch (...) {
    return std::nullopt;
  }
  auto v = meta.getVersion(ref.substr(0, at), version);
  if (!v || v->runId.empty()) return std::nullopt;
  auto log = meta::DeployLog::open(dir);
  if (!log) return std::nullopt;
  auto row = (*log)->monitorExecutionOfRun(v->runId);
  return row ? *row : std::nullopt;
}

std::string alertText(const meta::MonitorExecutionRow& r) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "psi %.3f, ks %.3f, missing %.3g%%", r.psi.value_or(0),
                r.ks.value_or(0), r.missing.value_or(0));
  std::string served = r.modelVersion ? " while it served " + r.modelGroup + " version " +
                                            std::to_string(*r.modelVersion)
                                      : "";
  return "started by an alert: monitor " + r.monitor + " (execution " + std::to_string(r.id) +
         ", " + formatTime(r.windowEnd) + ") saw " + buf + " on endpoint " + r.endpoint + served +
         ", against baseline " + r.baseline + "; its run " + r.runId.value_or("?") + "\n";
}

/// The stored baseline whose hash starts with `prefix`; prints the error and returns nullopt.
std::optional<meta::BaselineRow> resolveBaseline(const std::string& wsDir,
                                                 const std::string& prefix) {
  if (prefix.empty() || prefix.find_first_not_of("0123456789abcdef") != std::string::npos) {
    std::cerr << "error: `baseline:" << prefix
              << "`: write baseline:HASH with a hash prefix, as `mlpc monitors show` prints it\n";
    return std::nullopt;
  }
  auto rows = readDeployLog(wsDir, "the baselines",
                            [&](meta::DeployLog& log) { return log.baselines(prefix); });
  if (!rows) return std::nullopt;
  if (rows->size() == 1) return rows->front();
  std::cerr << "error: "
            << (rows->empty() ? "no stored baseline starts with " + prefix
                              : "baseline:" + prefix + " is ambiguous: " +
                                    std::to_string(rows->size()) + " baselines start with it")
            << "\n";
  return std::nullopt;
}

} // namespace

void registerLineage(CLI::App& app) {
  struct O {
    std::string ws, ref, format = "text";
    bool up = false, down = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "lineage", "Which data, code, params and command made an artifact (or what used it)");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_option("REF", o->ref,
                  "An artifact hash prefix, RUN:step.output, GROUP@VERSION, endpoint:NAME (the "
                  "version the endpoint serves) or baseline:HASH (a monitor's stored baseline: "
                  "the data it describes)")
      ->required();
  auto* up = cmd->add_flag("--upstream", o->up, "What it was made from (the default)");
  cmd->add_flag("--downstream", o->down, "What was made from it")->excludes(up);
  cmd->add_option("--format", o->format, "text (default), dot, json or openlineage")
      ->check(CLI::IsMember({"text", "dot", "json", "openlineage"}));
  cmd->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    std::string header, ref = o->ref;
    // `endpoint:NAME`: the lineage of the model version the endpoint serves.
    if (ref.rfind("endpoint:", 0) == 0) {
      auto ev = resolveEndpoint(ws->dir, ref.substr(9));
      if (!ev) {
        exitCode() = 2;
        return;
      }
      ref = ev->group + "@" + std::to_string(ev->version);
      header = ev->header;
    }
    // `baseline:HASH`: a monitor's stored baseline leads to the data it describes.
    if (ref.rfind("baseline:", 0) == 0) {
      auto b = resolveBaseline(ws->dir, ref.substr(9));
      if (!b) {
        exitCode() = 2;
        return;
      }
      header += "baseline " + b->hash.substr(0, 12) +
                " (statistics.json, constraints.json) describes " + b->dataName + ", " +
                std::to_string(b->rows) + " rows\n";
      if (!ws->meta->resolveArtifact(b->dataHash)) { // a data file no run has read
        std::cout << header << "  source data file " << b->dataPath << " ("
                  << b->dataHash.substr(0, 12) << "), not in the store\n";
        return;
      }
      ref = b->dataHash;
    }
    std::string more;
    std::string hash = resolveRef(*ws->meta, ref, more);
    header += more;
    if (hash.empty()) {
      exitCode() = 2;
      return;
    }
    auto alert = alertBehind(*ws->meta, ws->dir, ref);
    if (alert) header += alertText(*alert);
    auto g = walkLineage(*ws->meta, hash, !o->down);
    if (!g) {
      std::cerr << "error: " << g.error() << "\n";
      exitCode() = 2;
      return;
    }
    if (o->format == "text")
      std::cout << header << lineageText(*g, !o->down);
    else if (o->format == "dot")
      std::cout << lineageDot(*g);
    else if (o->format == "json") {
      auto j = lineageJson(*g);
      if (alert)
        j["started_by_alert"] = {{"monitor", alert->monitor},
                                 {"execution", alert->id},
                                 {"endpoint", alert->endpoint},
                                 {"run_id", *alert->runId},
                                 {"psi", alert->psi.value_or(0)},
                                 {"ks", alert->ks.value_or(0)},
                                 {"missing_percent", alert->missing.value_or(0)}};
      std::cout << j.dump(2) << "\n";
    } else
      std::cout << lineageOpenLineage(*g).dump(2) << "\n";
  });
}

} // namespace mlpc::cli
