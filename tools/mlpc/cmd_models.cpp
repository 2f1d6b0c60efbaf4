// `mlpc models`: the registry. Groups, versions with their metrics and lineage, and approval
// decisions whose whole history (who, when, why) is kept.
#include "commands.h"
#include "history_support.h"
#include "lineage_graph.h"
#include "meta/metrics_json.h"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace mlpc::cli {

namespace {

constexpr const char* kPending = "PendingManualApproval";
constexpr const char* kApproved = "Approved";
constexpr const char* kRejected = "Rejected";

std::string actor(const std::string& given) {
  return given.empty() ? actorName() : given;
}

/// "failed" or "interrupted" when the run that registered the version did not succeed (a later
/// step failed after `register`), else "". Such a version is flagged wherever it is listed: its
/// model was made, but the run that vouches for it did not finish cleanly.
std::string runProblem(meta::MetaStore& m, const std::string& runId) {
  auto r = m.getRun(runId);
  if (!r) return "";
  if (r->status == meta::RunStatus::Failed || r->status == meta::RunStatus::Interrupted)
    return std::string(meta::toString(r->status));
  return "";
}

/// The status column: the registry status, and the flag when the registering run failed.
std::string statusText(const meta::ModelVersion& v, const std::string& problem) {
  return problem.empty() ? v.status : v.status + " (run " + problem + ")";
}

plan::Json versionJson(const meta::ModelVersion& v, const std::string& problem) {
  return {{"group", v.group},
          {"version", v.version},
          {"status", v.status},
          {"run_failed", !problem.empty()},
          {"run_status", problem.empty() ? plan::Json() : plan::Json(problem)},
          {"artifact", v.artifactHash},
          {"run", v.runId},
          {"created_at", v.createdAt},
          {"metrics", plan::Json::parse(v.metricsJson, nullptr, false)},
          {"tags", plan::Json::parse(v.tagsJson, nullptr, false)}};
}

std::string metricsText(const std::string& json) {
  // Nested metrics read as their dotted paths (`regression.mse.value=0.25`).
  auto rows = meta::numericMetrics(json);
  std::string s;
  if (rows)
    for (auto& [k, v] : *rows) {
      if (k == "rows") continue;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s=%.4g", k.c_str(), v);
      s += (s.empty() ? "" : " ") + std::string(buf);
    }
  return s;
}

/// `approved` (newest Approved), `latest` (newest of any status), or a number.
std::optional<meta::ModelVersion> pick(const std::vector<meta::ModelVersion>& vs,
                                       const std::string& which) {
  if (which == "latest") return vs.empty() ? std::nullopt : std::optional(vs.back());
  if (which == "approved") {
    for (auto it = vs.rbegin(); it != vs.rend(); ++it)
      if (it->status == kApproved) return *it;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::vector<meta::ModelVersion>> versionsOrReport(meta::MetaStore& m,
                                                                const std::string& group) {
  auto vs = m.listVersions(group);
  if (!vs) {
    std::cerr << "error: " << vs.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  if (vs->empty()) {
    std::cerr << "error: no model group `" << group << "` in this workspace";
    if (auto groups = m.modelGroups(); groups && !groups->empty()) {
      std::string near = closestName(group, *groups);
      if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
      std::string all;
      for (auto& g : *groups)
        all += (all.empty() ? "" : ", ") + g;
      std::cerr << "; groups: " << all;
    }
    std::cerr << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return *vs;
}

void decide(const std::string& wsDir, const std::string& group, const std::string& versionText,
            const std::string& to, const std::string& comment, const std::string& who, bool json) {
  // The history is printed to terminals: a newline would break its table, an escape sequence
  // would reach the reader's terminal. Tabs and printable text (UTF-8 too) are fine.
  for (unsigned char c : comment + who)
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      std::cerr << "error: a comment or actor cannot contain control characters (newlines, "
                   "escapes)\n";
      exitCode() = 2;
      return;
    }
  auto ws = openHistory(wsDir);
  if (!ws) return;
  int64_t n = parseVersionNumber(versionText);
  if (!n) {
    std::cerr << "error: `" << versionText << "` is not a version number (1, 2, ...)\n";
    exitCode() = 2;
    return;
  }
  auto vs = versionsOrReport(*ws->meta, group);
  if (!vs) return;
  if (n > static_cast<int64_t>(vs->size())) {
    std::cerr << "error: " << group << " has no version " << n << " (versions 1 to " << vs->size()
              << ")\n";
    exitCode() = 2;
    return;
  }
  // Approving a rejected version (a second look) and rejecting an approved one (a recall) are
  // allowed; deciding what is already decided is refused, so the history stays meaningful.
  std::vector<std::string> from = to == kApproved ? std::vector<std::string>{kPending, kRejected}
                                                  : std::vector<std::string>{kPending, kApproved};
  auto v = ws->meta->transitionVersion(group, n, to, actor(who), comment, from);
  if (!v) {
    std::cerr << "error: " << v.error() << "\n";
    exitCode() = 1;
    return;
  }
  std::string problem = runProblem(*ws->meta, v->runId);
  if (!problem.empty() && to == kApproved)
    std::cerr << "warning: run " << v->runId << ", which registered " << group << " version " << n
              << ", " << problem << " after registering it\n";
  if (json)
    std::cout << versionJson(*v, problem).dump(2) << "\n";
  else
    std::cout << group << " version " << n << " is now " << to << "\n";
}

} // namespace

void registerModels(CLI::App& app) {
  struct O {
    std::string ws, group, version, comment, actor;
    bool json = false;
  };
  auto o = std::make_shared<O>();
  auto* models = app.add_subcommand("models", "The model registry: groups, versions, approvals");
  models->fallthrough(); // `mlpc models show g --json` as well as `mlpc models --json show g`
  addWorkspaceOption(*models, o->ws);
  models->add_flag("--json", o->json, "Print JSON");
  models->callback([o, models] {
    if (!models->get_subcommands().empty()) return;
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto groups = ws->meta->modelGroups();
    if (!groups) {
      std::cerr << "error: " << groups.error() << "\n";
      exitCode() = 2;
      return;
    }
    plan::Json out = plan::Json::array();
    std::vector<std::vector<std::string>> rows;
    for (auto& g : *groups) {
      auto vs = ws->meta->listVersions(g);
      if (!vs || vs->empty()) continue;
      auto approved = pick(*vs, "approved");
      const auto& latest = vs->back();
      std::string latestProblem = runProblem(*ws->meta, latest.runId);
      out.push_back(
          {{"group", g},
           {"versions", vs->size()},
           {"latest", versionJson(latest, latestProblem)},
           {"approved", approved ? versionJson(*approved, runProblem(*ws->meta, approved->runId))
                                 : plan::Json()}});
      rows.push_back(
          {g, std::to_string(vs->size()),
           std::to_string(latest.version) + " (" + statusText(latest, latestProblem) + ")",
           approved ? std::to_string(approved->version) : "-", metricsText(latest.metricsJson)});
    }
    if (o->json)
      std::cout << out.dump(2) << "\n";
    else if (rows.empty())
      std::cout << "no model versions registered yet\n";
    else
      std::cout << table({"GROUP", "VERSIONS", "LATEST", "APPROVED", "LATEST METRICS"}, rows);
  });

  auto* show =
      models->add_subcommand("show", "A group's versions, or one version with its history");
  show->add_option("GROUP", o->group, "The model group")->required();
  show->add_option("VERSION", o->version, "A version number, `approved` or `latest`");
  show->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto vs = versionsOrReport(*ws->meta, o->group);
    if (!vs) return;
    if (o->version.empty()) {
      plan::Json out = plan::Json::array();
      std::vector<std::vector<std::string>> rows;
      for (auto& v : *vs) {
        std::string problem = runProblem(*ws->meta, v.runId);
        out.push_back(versionJson(v, problem));
        rows.push_back({std::to_string(v.version), statusText(v, problem), formatTime(v.createdAt),
                        v.runId, shortHash(v.artifactHash), metricsText(v.metricsJson)});
      }
      if (o->json) {
        std::cout << out.dump(2) << "\n";
        return;
      }
      std::cout << table({"VERSION", "STATUS", "CREATED (UTC)", "RUN", "ARTIFACT", "METRICS"},
                         rows);
      auto a = pick(*vs, "approved");
      std::cout << "\n" << o->group << ".latest   -> version " << vs->back().version << "\n";
      std::cout << o->group << ".approved -> "
                << (a ? "version " + std::to_string(a->version) : "none yet") << "\n";
      return;
    }
    std::optional<meta::ModelVersion> v = pick(*vs, o->version);
    if (!v) {
      int64_t n = parseVersionNumber(o->version);
      if (n >= 1 && n <= static_cast<int64_t>(vs->size())) v = (*vs)[static_cast<size_t>(n - 1)];
    }
    if (!v) {
      std::cerr << "error: " << o->group << " has no version `" << o->version << "`"
                << (o->version == "approved" ? " (no version is approved now)" : "")
                << "; versions 1 to " << vs->size() << "\n";
      exitCode() = 2;
      return;
    }
    auto events = ws->meta->versionEvents(v->group, v->version);
    std::string problem = runProblem(*ws->meta, v->runId);
    plan::Json j = versionJson(*v, problem);
    j["history"] = plan::Json::array();
    if (events)
      for (auto& e : *events)
        j["history"].push_back({{"from", e.fromStatus ? plan::Json(*e.fromStatus) : plan::Json()},
                                {"to", e.toStatus},
                                {"actor", e.actor},
                                {"at", e.at},
                                {"comment", e.comment}});
    auto g = walkLineage(*ws->meta, v->artifactHash, true);
    if (o->json) {
      if (g) j["lineage"] = lineageJson(*g);
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << "model     " << v->group << " version " << v->version << "\n";
    std::cout << "status    " << v->status << "\n";
    std::cout << "artifact  " << v->artifactHash << "\n";
    std::cout << "run       " << v->runId
              << (problem.empty() ? ""
                                  : " (" + problem +
                                        " after registering this version: check it before "
                                        "approving)")
              << "\n";
    std::cout << "created   " << formatTime(v->createdAt) << " UTC\n";
    std::cout << "metrics   " << metricsText(v->metricsJson) << "\n";
    std::cout << "tags      " << v->tagsJson << "\n\nhistory\n";
    std::vector<std::vector<std::string>> rows;
    if (events)
      for (auto& e : *events)
        rows.push_back(
            {formatTime(e.at),
             e.fromStatus ? *e.fromStatus + " -> " + e.toStatus : "registered as " + e.toStatus,
             e.actor, e.comment});
    std::cout << table({"WHEN (UTC)", "CHANGE", "WHO", "COMMENT"}, rows);
    if (g) std::cout << "\nlineage\n" << lineageText(*g, true);
  });

  auto* approve = models->add_subcommand("approve", "Approve a version (from pending or rejected)");
  approve->add_option("GROUP", o->group, "The model group")->required();
  approve->add_option("VERSION", o->version, "The version number")->required();
  approve->add_option("--comment", o->comment, "Why (kept in the history)");
  approve->add_option("--actor", o->actor, "Who decides (default: $MLP_ACTOR, else $USER)");
  approve->callback(
      [o] { decide(o->ws, o->group, o->version, kApproved, o->comment, o->actor, o->json); });

  auto* reject = models->add_subcommand("reject", "Reject a version (from pending or approved)");
  reject->add_option("GROUP", o->group, "The model group")->required();
  reject->add_option("VERSION", o->version, "The version number")->required();
  reject->add_option("--comment", o->comment, "Why (kept in the history)");
  reject->add_option("--actor", o->actor, "Who decides (default: $MLP_ACTOR, else $USER)");
  reject->callback(
      [o] { decide(o->ws, o->group, o->version, kRejected, o->comment, o->actor, o->json); });

  auto* resolve = models->add_subcommand(
      "resolve", "Resolve GROUP.approved, GROUP.latest or GROUP.version(N) to a version");
  resolve->add_option("REF", o->group, "e.g. churn.approved")->required();
  resolve->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto dot = o->group.find('.');
    if (dot == std::string::npos) {
      std::cerr << "error: write GROUP.approved, GROUP.latest or GROUP.version(N)\n";
      exitCode() = 2;
      return;
    }
    std::string group = o->group.substr(0, dot), which = o->group.substr(dot + 1);
    auto vs = versionsOrReport(*ws->meta, group);
    if (!vs) return;
    std::optional<meta::ModelVersion> v;
    if (which.rfind("version(", 0) == 0 && which.back() == ')') {
      int64_t n = parseVersionNumber(which.substr(8, which.size() - 9));
      if (n < 1) {
        std::cerr << "error: `" << which << "`: N in version(N) is a version number (1, 2, ...)\n";
        exitCode() = 2;
        return;
      }
      if (n <= static_cast<int64_t>(vs->size())) v = (*vs)[static_cast<size_t>(n - 1)];
    } else if (which == "approved" || which == "latest") {
      v = pick(*vs, which);
    } else {
      std::cerr << "error: `" << which << "`: use approved, latest or version(N)\n";
      exitCode() = 2;
      return;
    }
    if (!v) {
      std::cerr << "error: " << o->group << " resolves to no version"
                << (which == "approved" ? " (no version is approved now)" : "") << "\n";
      exitCode() = 1;
      return;
    }
    if (o->json)
      std::cout << versionJson(*v, runProblem(*ws->meta, v->runId)).dump(2) << "\n";
    else
      std::cout << group << " version " << v->version << " (" << v->status << ") "
                << v->artifactHash << "\n";
  });
}

} // namespace mlpc::cli
