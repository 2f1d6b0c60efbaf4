// `mlpc reproduce GROUP@N`: re-run what made a version from its recorded plan, params, input
// bytes and code bytes, and say for every artifact whether it came out the same, and if not,
// why: the step's code changed, one of its inputs changed, or the step is not deterministic.
#include "commands.h"
#include "history_support.h"
#include "sched/values.h"

#include "exec/interrupt.h"
#include "exec/process_runner.h"
#include "sched/code_snapshot.h"
#include "store/sha256.h"
#include "store/temp_dir.h"

#include <filesystem>
#include <iostream>
#include <map>

namespace fs = std::filesystem;

namespace mlpc::cli {

namespace {

/// Binds the recorded data and artifact parameters of the original run; "" or what is wrong
/// with its inputs.json.
std::string bindRecordedInputs(const fs::path& runDir, const meta::RunRecord& orig, LoadedPlan& lp,
                               sched::RunOptions& ro) {
  // The recorded input bytes are the point of a reproduction: without them it would quietly
  // read today's files, and a match would prove nothing. So every data of the plan must be in
  // inputs.json, well-formed.
  std::string inputsText, err;
  plan::Json inputs;
  if (!readFile((runDir / "inputs.json").string(), inputsText, err)) return err;
  if (inputs = plan::Json::parse(inputsText, nullptr, false); !inputs.is_object())
    return "it is not a JSON object";
  for (auto& [name, _] : lp.plan.data) {
    const plan::Json* a = inputs.contains(name) ? &inputs[name] : nullptr;
    if (!a) return "data `" + name + "` is not in it";
    if (!sched::isRecordedArtifact(*a) || !store::isSha256Hex((*a)["$artifact"].get<std::string>()))
      return "its entry for data `" + name + "` is damaged";
    ro.dataOverrides[name] = *a;
  }
  // An artifact-typed parameter was recorded as the artifact of its bytes: bind that, not
  // whatever the path names today.
  plan::Json recorded = plan::Json::parse(orig.paramsJson, nullptr, false);
  for (auto& p : lp.plan.pipeline.params) {
    if (!plan::isArtifactType(p.type)) continue;
    const std::string& name = p.name;
    const plan::Json* a =
        recorded.is_object() && recorded.contains(name) ? &recorded[name] : nullptr;
    if (!a || !a->is_object() || !a->contains("$artifact") || !(*a)["$artifact"].is_string() ||
        !store::isSha256Hex((*a)["$artifact"].get<std::string>()))
      return "the run's value of parameter `" + name + "` is not a recorded artifact";
    p.value = *a;
  }
  return "";
}

/// Why one output of a step differs between the original run and the reproduction.
struct Why {
  std::string reason;              ///< "code changed", "input changed", "not deterministic", …
  std::vector<std::string> files;  ///< code changed: the step's files that differ
  std::vector<std::string> inputs; ///< input changed: the inputs that differ
  std::string text() const {
    auto list = [](const std::vector<std::string>& xs, const char* quote) {
      std::string s;
      for (auto& x : xs)
        s += (s.empty() ? "" : ", ") + std::string(quote) + x + quote;
      return s;
    };
    std::string s = reason;
    if (!files.empty()) s += ": " + list(files, "");
    if (!inputs.empty()) s += (files.empty() ? ": " : "; input changed: ") + list(inputs, "`");
    return s;
  }
};

class Explainer {
public:
  Explainer(meta::MetaStore& meta, const plan::Plan& plan, const std::string& origRun,
            const std::string& reproRun)
      : meta_(meta), plan_(plan), before_(byNode(origRun)), after_(byNode(reproRun)) {}

  Why explain(const std::string& node) {
    Why w;
    auto b = before_.find(node);
    auto a = after_.find(node);
    if (b == before_.end() || a == after_.end()) {
      w.reason = "not run in the reproduction";
      return w;
    }
    // Code: what each execution recorded it ran (path -> hash), named as the user knows it.
    std::map<std::string, std::string> cb, ca;
    if (auto c = meta_.codeOf(b->second.id))
      for (auto& r : *c)
        cb[r.path] = r.hash;
    if (auto c = meta_.codeOf(a->second.id))
      for (auto& r : *c)
        ca[r.path] = r.hash;
    std::string dir = ".";
    if (const plan::StepDef* def = plan_.steps.find(b->second.step)) dir = def->dir;
    auto shown = [&](const std::string& p) {
      return (fs::path(dir) / p).lexically_normal().string();
    };
    for (auto& [p, h] : cb)
      if (!ca.count(p) || ca[p] != h) w.files.push_back(shown(p));
    for (auto& [p, h] : ca)
      if (!cb.count(p)) w.files.push_back(shown(p));
    // Inputs: by name, by hash.
    std::map<std::string, std::string> ib, ia;
    if (auto i = meta_.inputsOf(b->second.id))
      for (auto& x : *i)
        ib[x.name] = x.artifact.hash;
    if (auto i = meta_.inputsOf(a->second.id))
      for (auto& x : *i)
        ia[x.name] = x.artifact.hash;
    for (auto& [n, h] : ib)
      if (!ia.count(n) || ia[n] != h) w.inputs.push_back(n);
    for (auto& [n, h] : ia)
      if (!ib.count(n)) w.inputs.push_back(n);
    w.reason = !w.files.empty()    ? "code changed"
               : !w.inputs.empty() ? "input changed"
                                   : "not deterministic";
    return w;
  }

private:
  std::map<std::string, meta::ExecutionRecord> byNode(const std::string& runId) {
    std::map<std::string, meta::ExecutionRecord> out;
    if (auto ex = meta_.executionsOf(runId))
      for (auto& e : *ex)
        out[e.node] = e;
    return out;
  }

  meta::MetaStore& meta_;
  const plan::Plan& plan_;
  std::map<std::string, meta::ExecutionRecord> before_, after_;
};

std::string joined(const std::vector<std::string>& xs) {
  std::string s;
  for (auto& x : xs)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

void reproduce(const std::string& wsDir, const std::string& ref, int jobs, bool json,
               bool withCurrentCode) {
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
  std::string planText, err;
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
  if (std::string damage = bindRecordedInputs(runDir, *orig, lp, ro); !damage.empty()) {
    std::cerr << "error: the recorded inputs of run " << orig->id << " ("
              << (runDir / "inputs.json").string() << ") are missing or damaged: " << damage
              << "\n       reproducing from today's files would prove nothing\n";
    exitCode() = 2;
    return;
  }

  // The code: the bytes the run kept, unless the user asks for today's.
  auto kept = ws->meta->runCodeOf(orig->id);
  if (!kept) {
    std::cerr << "error: cannot read the code run " << orig->id << " kept: " << kept.error()
              << "\n";
    exitCode() = 2;
    return;
  }
  sched::CodeCheck code =
      sched::checkRunCode(lp.plan, *kept, lp.baseDir, ro.stdlibDirs, *ws->store);
  std::vector<std::string> unusable;
  if (!code.recordedAnything && !code.notRecorded.empty())
    unusable.push_back("run " + orig->id + " kept no copy of its code (it ran before mlpc kept " +
                       "code in the workspace): " + joined(code.notRecorded));
  else
    for (auto& f : code.notRecorded)
      unusable.push_back(f + ": run " + orig->id + " has no record of it");
  for (auto& d : code.gone)
    unusable.push_back(d.file + ": its recorded bytes (object " + shortHash(d.recorded) +
                       ") are not in the store");
  if (!unusable.empty() && !withCurrentCode) {
    std::cerr << "error: cannot reproduce " << ref << " with the code run " << orig->id
              << " ran:\n";
    for (auto& u : unusable)
      std::cerr << "  " << u << "\n";
    std::cerr << "running today's files instead would not show what the run did; "
              << "`mlpc reproduce " << ref << " --with-current-code` runs them anyway and "
              << "names the files that differ\n";
    exitCode() = 2;
    return;
  }
  std::optional<store::ScopedTempDir> codeDir;
  if (!withCurrentCode) {
    auto dir = store::ScopedTempDir::create("mlpc-reproduce-");
    if (!dir) {
      std::cerr << "error: " << dir.error() << "\n";
      exitCode() = 2;
      return;
    }
    codeDir.emplace(std::move(*dir));
    auto m = sched::materializeRunCode(lp.plan, *kept, lp.baseDir, ro.stdlibDirs, *ws->store,
                                       codeDir->path());
    if (!m) {
      std::cerr << "error: cannot lay out the code run " << orig->id << " ran: " << m.error()
                << "\n";
      exitCode() = 2;
      return;
    }
    ro.baseDir = m->baseDir;
    ro.stdlibDirs = {m->stdlibDir};
  }

  std::string ierr;
  if (!exec::installInterruptHandlers(ierr)) std::cerr << "warning: " << ierr << "\n";
  auto runner = exec::makeProcessRunner();
  auto progress =
      sched::makeProgress(json ? sched::ProgressStyle::Quiet : sched::defaultProgressStyle());
  std::cerr << "reproducing " << ref << " from run " << orig->id << " (recorded plan, params "
            << orig->paramsJson << ", recorded input bytes, "
            << (withCurrentCode ? "today's code (--with-current-code)" : "recorded code")
            << ", no cache)\n";
  if (withCurrentCode) {
    for (auto& u : unusable)
      std::cerr << "warning: " << u << "\n";
    for (auto& d : code.changed)
      std::cerr << "note: " << d.file << " differs from what run " << orig->id << " ran\n";
  }
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
    std::map<std::string, std::pair<std::string, std::string>> out; // node.output -> node, hash
    if (auto ex2 = ws->meta->executionsOf(runId))
      for (auto& e : *ex2)
        if (auto outs = ws->meta->outputsOf(e.id))
          for (auto& b : *outs)
            out[e.node + "." + b.name] = {e.node, b.artifact.hash};
    return out;
  };
  auto before = outputsByNode(orig->id), after = outputsByNode(s.runId);
  Explainer explainer(*ws->meta, lp.plan, orig->id, s.runId);
  size_t same = 0, diff = 0;
  std::map<std::string, size_t> reasons;
  plan::Json rows = plan::Json::array();
  std::vector<std::vector<std::string>> cells;
  bool modelSame = false;
  for (auto& [k, nodeHash] : before) {
    const auto& [node, h] = nodeHash;
    auto it = after.find(k);
    std::string now = it == after.end() ? "" : it->second.second;
    bool eq = now == h;
    (eq ? same : diff)++;
    if (h == v->artifactHash) modelSame = eq;
    plan::Json row{{"output", k}, {"recorded", h}, {"reproduced", now}, {"match", eq}};
    std::string whyText;
    if (!eq) {
      Why w = explainer.explain(node);
      ++reasons[w.reason];
      whyText = w.text();
      row["why"] = w.reason;
      row["code_files"] = w.files;
      row["inputs"] = w.inputs;
    } else {
      row["why"] = nullptr;
    }
    rows.push_back(row);
    cells.push_back({eq ? "same" : "DIFFERENT", k, shortHash(h),
                     now.empty() ? "(missing)" : shortHash(now), whyText});
  }
  plan::Json codeJson = plan::Json::array();
  for (auto& d : code.changed)
    codeJson.push_back({{"file", d.file},
                        {"recorded", d.recorded.empty() ? plan::Json() : plan::Json(d.recorded)},
                        {"current", d.current.empty() ? plan::Json() : plan::Json(d.current)},
                        {"recorded_bytes_kept", d.bytesKept}});
  if (json) {
    std::cout << plan::Json{{"version", ref},
                            {"original_run", orig->id},
                            {"reproduction_run", s.runId},
                            {"code", withCurrentCode ? "current" : "recorded"},
                            {"code_differs", codeJson},
                            {"model_matches", modelSame},
                            {"outputs", rows}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << table({"RESULT", "OUTPUT", "RECORDED", "REPRODUCED", "WHY"}, cells);
    std::cout << "\n"
              << same << " of " << (same + diff) << " artifacts are byte-identical; the model of "
              << ref << " " << (modelSame ? "matches" : "DOES NOT match") << " (reproduction run "
              << s.runId << ")\n";
    if (withCurrentCode) {
      if (code.changed.empty())
        std::cout << "code: today's files are the ones run " << orig->id << " ran\n";
      for (auto& d : code.changed)
        std::cout << "code: " << d.file << " differs from what run " << orig->id << " ran ("
                  << (d.recorded.empty() ? "missing then" : "recorded " + shortHash(d.recorded))
                  << ", " << (d.current.empty() ? "missing now" : "now " + shortHash(d.current))
                  << ")\n";
    }
    if (reasons.count("code changed"))
      std::cout << "code changed: the step ran other code than the original run\n";
    if (reasons.count("input changed"))
      std::cout << "input changed: the step read other bytes, because a step before it differs\n";
    if (reasons.count("not deterministic"))
      std::cout << "not deterministic: same code, same inputs, other bytes (an unseeded random "
                   "choice, a timestamp, thread scheduling, ...)\n";
  }
  exitCode() = diff ? 1 : 0;
}

} // namespace

void registerReproduce(CLI::App& app) {
  struct O {
    std::string ws, ref;
    int jobs = 0;
    bool json = false, withCurrentCode = false;
  };
  auto o = std::make_shared<O>();
  auto* rep = app.add_subcommand(
      "reproduce", "Re-run what made a model version (recorded plan, params, input bytes and "
                   "code) and check that every artifact comes out byte-identical (exit 1 if not)");
  addWorkspaceOption(*rep, o->ws);
  rep->add_option("VERSION", o->ref, "GROUP@N, e.g. churn@3")->required();
  rep->add_option("-j,--jobs", o->jobs, "Steps to run at once")->check(CLI::Range(1, 4096));
  rep->add_flag("--json", o->json, "Print the comparison as JSON");
  rep->add_flag("--with-current-code", o->withCurrentCode,
                "Run today's code files instead of the recorded ones (also when those are gone); "
                "the report names the files that differ");
  rep->callback([o] { reproduce(o->ws, o->ref, o->jobs, o->json, o->withCurrentCode); });
}

} // namespace mlpc::cli
