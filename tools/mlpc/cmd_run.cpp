// `mlpc run FILE|PLAN` and `mlpc plan FILE|PLAN` (a dry run: what would run, and why).
#include "commands.h"
#include "run_support.h"

#include "exec/interrupt.h"
#include "exec/process_runner.h"
#include "exec/slurm_runner.h"
#include "sched/executor.h"
#include "store/temp_dir.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace mlpc::cli {

namespace {

struct RunOpts {
  std::string target;
  std::string pipeline;
  std::vector<std::string> params;
  int jobs = 0;
  bool noCache = false;
  bool keepGoing = false;
  bool json = false;
  std::string executor = "local";
  std::string partition;
  std::string workspace;
  DiagOptions diag;
};

/// The runner `--executor` names; for slurm, first checks that the cluster answers (and knows
/// `--partition`), so that a misconfiguration is one clear error, not a failure per step.
std::unique_ptr<exec::CommandRunner> makeRunner(const RunOpts& o, const std::string& wsDir) {
  if (o.executor != "slurm") return exec::makeProcessRunner();
  std::string out, err;
  int rc = exec::runCapture({"sinfo", "-h", "-o", "%P %a"}, out, err);
  if (rc != 0) {
    std::string why = err.empty() ? out : err;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    std::cerr << "error: --executor slurm: the Slurm cluster does not answer (sinfo "
              << (rc < 0 ? "cannot run: " : "says: ") << why
              << ")\n  = help: install Slurm's clients and set SLURM_CONF to the cluster's "
                 "slurm.conf\n";
    return nullptr;
  }
  if (!o.partition.empty()) {
    bool known = false;
    std::istringstream in(out);
    std::string name, avail;
    while (in >> name >> avail) {
      if (!name.empty() && name.back() == '*') name.pop_back(); // the default partition
      known = known || name == o.partition;
    }
    if (!known) {
      std::cerr << "error: --partition " << o.partition
                << ": the cluster has no such partition (sinfo lists: "
                << (out.empty() ? "none" : out.substr(0, out.find('\n'))) << "…)\n";
      return nullptr;
    }
  }
  exec::SlurmOptions so;
  so.jobDir = wsDir + "/slurm";
  so.partition = o.partition;
  return exec::makeSlurmRunner(so);
}

void addCommon(CLI::App& cmd, RunOpts& o) {
  cmd.add_option("TARGET", o.target,
                 "A .mlp file (compiled now) or a plan written by `mlpc compile`")
      ->required();
  cmd.add_option("-p,--pipeline", o.pipeline, "The pipeline (needed when the file has several)");
  cmd.add_option("--param", o.params, "Set a pipeline parameter: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--workspace", o.workspace,
                 "Workspace directory (default: $MLP_WORKSPACE, else .mlp/ beside the entry file)");
  cmd.add_flag("--no-cache", o.noCache, "Run every step, ignoring cached results");
  addDiagOptions(cmd, o.diag);
}

} // namespace

void registerRun(CLI::App& app) {
  auto o = std::make_shared<RunOpts>();
  auto* cmd =
      app.add_subcommand("run", "Run a pipeline on this machine (parallel, cached, recorded)");
  addCommon(*cmd, *o);
  cmd->add_option("-j,--jobs", o->jobs,
                  "Steps to run at once (default: the number of cores; 256 with --executor slurm)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--keep-going", o->keepGoing,
                "After a failure, keep running what does not depend on it");
  cmd->add_flag("--json", o->json, "Print a JSON event per line on stdout instead of progress");
  cmd->add_option("--executor", o->executor,
                  "Where steps run: local (processes on this machine, the default) or slurm "
                  "(a batch job per step; needs SLURM_CONF and a workspace every node sees)")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_option("--partition", o->partition,
                  "With --executor slurm: the partition to submit to (default: the cluster's)");
  cmd->callback([o] {
    if (!o->partition.empty() && o->executor != "slurm") {
      std::cerr << "error: --partition needs --executor slurm\n";
      exitCode() = 2;
      return;
    }
    auto lp = loadPlan(o->target, o->pipeline, o->params, o->diag);
    if (!lp) return;
    auto ws = openWorkspaceOrReport(o->workspace, lp->baseDir, true);
    if (!ws) return;
    // A put cut short by kill -9 or a full disk leaves its staging entry in tmp/. Sweep those
    // whose owner is gone (an entry a live put holds is locked, so concurrent runs are safe).
    if (auto swept = ws->store->cleanTmp(); !swept)
      std::cerr << "warning: cannot clean the store's staging area: " << swept.error() << "\n";
    std::string err;
    if (!exec::installInterruptHandlers(err)) std::cerr << "warning: " << err << "\n";
    auto runner = makeRunner(*o, ws->dir);
    if (!runner) {
      exitCode() = 2;
      return;
    }
    auto progress =
        sched::makeProgress(o->json ? sched::ProgressStyle::Json : sched::defaultProgressStyle());
    auto started = std::chrono::steady_clock::now();
    sched::RunOptions ro = defaultRunOptions(*lp, o->jobs, o->noCache, o->keepGoing);
    if (o->executor == "slurm") {
      ro.clusterResources = true;
      if (o->jobs == 0) ro.jobs = 256; // submitted at once; the cluster queues the rest
    }
    sched::Executor ex(lp->plan, ro, *ws->store, *ws->meta, *runner, *progress);
    sched::RunSummary s = ex.run();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.2fs", secs);
    // The JSON status is the one `mlpc runs --json` shows; the sentence reads "was interrupted".
    const char* status = s.status == meta::RunStatus::Succeeded     ? "succeeded"
                         : s.status == meta::RunStatus::Interrupted ? "interrupted"
                                                                    : "failed";
    std::string verb = s.status == meta::RunStatus::Interrupted ? "was interrupted" : status;
    std::string line = (s.runId.empty() ? std::string("run") : "run " + s.runId) + " " + verb +
                       ": " + std::to_string(s.counts.ran) + " ran, " +
                       std::to_string(s.counts.cached) + " cached, " +
                       std::to_string(s.counts.failed) + " failed, " +
                       std::to_string(s.counts.skipped) + " skipped in " + took;
    if (o->json) {
      plan::Json j{{"event", "run_finished"},
                   {"run", s.runId},
                   {"status", status},
                   {"ran", s.counts.ran},
                   {"cached", s.counts.cached},
                   {"failed", s.counts.failed},
                   {"skipped", s.counts.skipped},
                   {"seconds", secs},
                   {"message", s.message}};
      std::cout << j.dump() << "\n";
    } else if (s.runId.empty() && !s.message.empty()) {
      // Nothing started (a parameter's path is missing, the workspace refused the run): no
      // counts to give, only what is wrong.
      std::cerr << "error: " << s.message << "\n";
    } else {
      std::cerr << line << "\n";
      if (!s.message.empty() && s.status != meta::RunStatus::Succeeded)
        std::cerr << "error: " << s.message << "\n";
      if (!s.runId.empty()) std::cerr << "details: mlpc show " << s.runId << "\n";
    }
    exitCode() = s.exitCode;
  });
}

void registerPlan(CLI::App& app) {
  auto o = std::make_shared<RunOpts>();
  auto* cmd = app.add_subcommand(
      "plan", "Dry run: list which steps would run and which are cached, and why (runs nothing)");
  addCommon(*cmd, *o);
  cmd->add_flag("--json", o->json, "Print the decisions as JSON");
  cmd->callback([o] {
    auto lp = loadPlan(o->target, o->pipeline, o->params, o->diag);
    if (!lp) return;
    // A dry run records nothing, so it does not create a workspace either: where there is none
    // yet, it plans against an empty one in a temporary directory (everything would run).
    std::string dir = sched::workspaceDir(o->workspace, lp->baseDir);
    std::error_code ec;
    std::optional<store::ScopedTempDir> scratch;
    if (!std::filesystem::exists(std::filesystem::path(dir) / "meta.db", ec)) {
      auto t = store::ScopedTempDir::create("mlpc-plan-");
      if (!t) {
        std::cerr << "error: " << t.error() << "\n";
        exitCode() = 2;
        return;
      }
      scratch.emplace(std::move(*t));
    }
    auto ws = openWorkspaceOrReport(scratch ? scratch->path() : dir, lp->baseDir, true);
    if (!ws) return;
    auto runner = exec::makeProcessRunner();
    auto progress = sched::makeProgress(sched::ProgressStyle::Quiet);
    sched::RunOptions ro = defaultRunOptions(*lp, o->jobs, o->noCache, o->keepGoing);
    ro.dryRun = true;
    sched::Executor ex(lp->plan, ro, *ws->store, *ws->meta, *runner, *progress);
    sched::RunSummary s = ex.run();
    if (!s.message.empty() && s.status == meta::RunStatus::Failed && ex.decisions().empty()) {
      std::cerr << "error: " << s.message << "\n";
      exitCode() = 2;
      return;
    }
    // Steps that would run or are cached, and conditions, loops and values decided only at run
    // time, are counted; what a branch or a loop body holds is listed under it, not counted.
    size_t run = 0, cached = 0, undecided = 0;
    plan::Json out = plan::Json::array();
    for (auto& d : ex.decisions()) {
      run += d.verdict == "run";
      cached += d.verdict == "cached";
      undecided += d.verdict == "undecided";
      out.push_back({{"node", d.node},
                     {"step", d.step},
                     {"verdict", d.verdict},
                     {"reason", d.reason},
                     {"source", d.source},
                     {"depth", d.depth}});
    }
    if (o->json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << "pipeline " << lp->plan.pipeline.name << ": " << run << " would run, " << cached
              << " cached, " << undecided << " decided at run time\n";
    for (auto& d : ex.decisions()) {
      std::string v = d.verdict == "run"         ? "run"
                      : d.verdict == "cached"    ? "cached"
                      : d.verdict == "undecided" ? "later"
                      : d.verdict == "decided"   ? "if"
                                                 : d.verdict;
      v.resize(std::max<size_t>(v.size(), 6), ' ');
      std::cout << "  " << std::string(4 * static_cast<size_t>(d.depth), ' ') << v << "  "
                << d.node;
      if (!d.step.empty() && d.step != d.node) std::cout << " (" << d.step << ")";
      std::cout << ": " << d.reason << "\n";
    }
  });
}

} // namespace mlpc::cli
