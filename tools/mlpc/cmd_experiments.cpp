// `mlpc compare RUN RUN…` (params and metrics side by side, differences marked) and
// `mlpc reproduce GROUP@N` (re-run what made a version from its recorded plan, params and input
// bytes, and say whether every artifact came out the same).
#include "commands.h"
#include "history_support.h"

#include "exec/interrupt.h"
#include "exec/process_runner.h"
#include "sched/values.h"
#include "store/sha256.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace mlpc::cli {

namespace {

std::string valueText(const plan::Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

void compare(const std::string& wsDir, const std::vector<std::string>& refs, bool json) {
  auto ws = openHistory(wsDir);
  if (!ws) return;
  if (refs.size() < 2) {
    std::cerr << "error: compare needs at least two runs\n";
    exitCode() = 2;
    return;
  }
  std::vector<meta::RunRecord> runs;
  for (auto& r : refs) {
    auto run = getRunOrReport(*ws->meta, r);
    if (!run) return;
    runs.push_back(*run);
  }
  // Rows: every param and metric any of the runs has, in name order.
  std::map<std::string, std::vector<plan::Json>> params, metrics;
  for (size_t i = 0; i < runs.size(); ++i) {
    plan::Json p = plan::Json::parse(runs[i].paramsJson, nullptr, false);
    if (p.is_object())
      for (auto& [k, v] : p.items()) {
        params[k].resize(runs.size());
        params[k][i] = v;
      }
    if (auto ms = ws->meta->metricsOf(runs[i].id))
      for (auto& m : *ms) {
        metrics[m.name].resize(runs.size());
        metrics[m.name][i] = m.value;
      }
  }
  auto differs = [](const std::vector<plan::Json>& vs) {
    for (auto& v : vs)
      if (v != vs[0]) return true;
    return false;
  };
  if (json) {
    plan::Json out{{"runs", plan::Json::array()},
                   {"params", plan::Json::object()},
                   {"metrics", plan::Json::object()}};
    for (auto& r : runs)
      out["runs"].push_back({{"id", r.id}, {"pipeline", r.pipeline}});
    for (auto& [k, vs] : params)
      out["params"][k] = {{"values", vs}, {"differs", differs(vs)}};
    for (auto& [k, vs] : metrics)
      out["metrics"][k] = {{"values", vs}, {"differs", differs(vs)}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::string> header = {"", "NAME"};
  for (auto& r : runs)
    header.push_back(r.id);
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& kind, const std::map<std::string, std::vector<plan::Json>>& m) {
    for (auto& [k, vs] : m) {
      std::vector<std::string> row = {differs(vs) ? "*" : " ", kind + " " + k};
      for (auto& v : vs)
        row.push_back(valueText(v));
      rows.push_back(row);
    }
  };
  std::vector<std::string> statusRow = {" ", "status"};
  for (auto& r : runs)
    statusRow.push_back(std::string(meta::toString(r.status)));
  rows.push_back(statusRow);
  add("param ", params);
  add("metric", metrics);
  std::cout << table(header, rows) << "\n* marks rows whose values differ\n";
}

void reproduce(const std::string& wsDir, const std::string& ref, int jobs, bool json) {
  auto ws = openHistory(wsDir);
  if (!ws) return;
  auto vr = parseVersionRef(ref);
  if (!vr) {
    std::cerr << "error: `" << ref << "`: write GROUP@VERSION, e.g. churn@3\n";
    exitCode() = 2;
    return;
  }
  const std::string& group = vr->group;
  int64_t n = vr->version;
  auto v = ws->meta->getVersion(group, n);
  if (!v) {
    std::cerr << "error: " << v.error() << "\n";
    exitCode() = 2;
    return;
  }
  auto orig = ws->meta->getRun(v->runId);
  if (!orig) {
    std::cerr << "error: the run that made " << ref << " is gone: " << orig.error() << "\n";
    exitCode() = 2;
    return;
  }
  fs::path runDir = fs::path(ws->dir) / "runs" / orig->id;
  std::string planText, inputsText, err;
  if (!readFile((runDir / "plan.json").string(), planText, err)) {
    std::cerr << "error: the plan of run " << orig->id << " was not kept (" << err << ")\n";
    exitCode() = 2;
    return;
  }
  LoadedPlan lp;
  auto recordedPlan = readPlanText(planText, err);
  if (!recordedPlan) {
    std::cerr << "error: the recorded plan of run " << orig->id << " is unreadable (" << err
              << ")\n";
    exitCode() = 2;
    return;
  }
  lp.plan = std::move(*recordedPlan);
  lp.entry = orig->entry;
  // The run's own directory layout: relative to where the workspace sits (beside the entry).
  lp.baseDir = fs::path(ws->dir).parent_path().string();
  std::string runText;
  if (readFile((runDir / "run.json").string(), runText, err)) {
    plan::Json rj = plan::Json::parse(runText, nullptr, false);
    if (rj.is_object() && rj.contains("base_dir") && rj["base_dir"].is_string())
      lp.baseDir = rj["base_dir"].get<std::string>();
  }
  sched::RunOptions ro = defaultRunOptions(lp, jobs, /*noCache=*/true, /*keepGoing=*/false);
  ro.registerVersions = false;
  ro.reproductionOf = group + "@" + std::to_string(n);
  // The recorded input bytes are the point of a reproduction: without them it would quietly
  // read today's files, and a match would prove nothing. So every data of the plan must be in
  // inputs.json, well-formed.
  std::string damage;
  plan::Json inputs;
  if (!readFile((runDir / "inputs.json").string(), inputsText, err)) {
    damage = err;
  } else if (inputs = plan::Json::parse(inputsText, nullptr, false); !inputs.is_object()) {
    damage = "it is not a JSON object";
  } else {
    for (auto& [name, _] : lp.plan.data) {
      const plan::Json* a = inputs.contains(name) ? &inputs[name] : nullptr;
      if (!a) {
        damage = "data `" + name + "` is not in it";
        break;
      }
      if (!sched::isRecordedArtifact(*a) ||
          !store::isSha256Hex((*a)["$artifact"].get<std::string>())) {
        damage = "its entry for data `" + name + "` is damaged";
        break;
      }
      ro.dataOverrides[name] = *a;
    }
    // An artifact-typed parameter was recorded as the artifact of its bytes: bind that, not
    // whatever the path names today.
    plan::Json recorded = plan::Json::parse(orig->paramsJson, nullptr, false);
    for (auto& p : lp.plan.pipeline.params) {
      if (!damage.empty() || !plan::isArtifactType(p.type)) continue;
      const std::string& name = p.name;
      const plan::Json* a =
          recorded.is_object() && recorded.contains(name) ? &recorded[name] : nullptr;
      if (!a || !a->is_object() || !a->contains("$artifact") || !(*a)["$artifact"].is_string() ||
          !store::isSha256Hex((*a)["$artifact"].get<std::string>())) {
        damage = "the run's value of parameter `" + name + "` is not a recorded artifact";
        break;
      }
      p.value = *a;
    }
  }
  if (!damage.empty()) {
    std::cerr << "error: the recorded inputs of run " << orig->id << " ("
              << (runDir / "inputs.json").string() << ") are missing or damaged: " << damage
              << "\n       reproducing from today's files would prove nothing\n";
    exitCode() = 2;
    return;
  }
  std::string ierr;
  if (!exec::installInterruptHandlers(ierr)) std::cerr << "warning: " << ierr << "\n";
  auto runner = exec::makeProcessRunner();
  auto progress =
      sched::makeProgress(json ? sched::ProgressStyle::Quiet : sched::defaultProgressStyle());
  std::cerr << "reproducing " << ref << " from run " << orig->id << " (recorded plan, params "
            << orig->paramsJson << ", recorded input bytes, no cache)\n";
  sched::Executor ex(lp.plan, ro, *ws->store, *ws->meta, *runner, *progress);
  sched::RunSummary s = ex.run();
  if (s.exitCode != 0) {
    std::cerr << "error: the reproduction run " << s.runId << " did not succeed: " << s.message
              << "\n";
    exitCode() = s.exitCode;
    return;
  }
  // Compare every output of every step, node by node.
  auto outputsByNode = [&](const std::string& runId) {
    std::map<std::string, std::string> out;
    if (auto ex2 = ws->meta->executionsOf(runId))
      for (auto& e : *ex2)
        if (auto outs = ws->meta->outputsOf(e.id))
          for (auto& b : *outs)
            out[e.node + "." + b.name] = b.artifact.hash;
    return out;
  };
  auto before = outputsByNode(orig->id), after = outputsByNode(s.runId);
  size_t same = 0, diff = 0;
  plan::Json rows = plan::Json::array();
  std::vector<std::vector<std::string>> cells;
  bool modelSame = false;
  for (auto& [k, h] : before) {
    auto it = after.find(k);
    std::string now = it == after.end() ? "" : it->second;
    bool eq = now == h;
    (eq ? same : diff)++;
    if (h == v->artifactHash) modelSame = eq;
    rows.push_back({{"output", k}, {"recorded", h}, {"reproduced", now}, {"match", eq}});
    cells.push_back(
        {eq ? "same" : "DIFFERENT", k, shortHash(h), now.empty() ? "(missing)" : shortHash(now)});
  }
  if (json) {
    std::cout << plan::Json{{"version", ref},
                            {"original_run", orig->id},
                            {"reproduction_run", s.runId},
                            {"model_matches", modelSame},
                            {"outputs", rows}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << table({"RESULT", "OUTPUT", "RECORDED", "REPRODUCED"}, cells);
    std::cout << "\n"
              << same << " of " << (same + diff) << " artifacts are byte-identical; the model of "
              << ref << " " << (modelSame ? "matches" : "DOES NOT match") << " (reproduction run "
              << s.runId << ")\n";
    if (diff)
      std::cout << "differences mean a step is not deterministic (an unseeded random "
                   "choice, a timestamp, thread scheduling, ...)\n";
  }
  exitCode() = diff ? 1 : 0;
}

} // namespace

void registerExperiments(CLI::App& app) {
  struct O {
    std::string ws, ref;
    std::vector<std::string> runs;
    int jobs = 0;
    bool json = false;
  };
  auto o = std::make_shared<O>();
  auto* cmp =
      app.add_subcommand("compare", "Params and metrics of runs side by side, differences marked");
  addWorkspaceOption(*cmp, o->ws);
  cmp->add_option("RUNS", o->runs, "Two or more run ids (or unique prefixes)")->required();
  cmp->add_flag("--json", o->json, "Print JSON");
  cmp->callback([o] { compare(o->ws, o->runs, o->json); });

  auto* rep = app.add_subcommand(
      "reproduce", "Re-run what made a model version (recorded plan, params, input bytes) and "
                   "check that every artifact comes out byte-identical (exit 1 if not)");
  addWorkspaceOption(*rep, o->ws);
  rep->add_option("VERSION", o->ref, "GROUP@N, e.g. churn@3")->required();
  rep->add_option("-j,--jobs", o->jobs, "Steps to run at once")->check(CLI::Range(1, 4096));
  rep->add_flag("--json", o->json, "Print the comparison as JSON");
  rep->callback([o] { reproduce(o->ws, o->ref, o->jobs, o->json); });
}

} // namespace mlpc::cli
