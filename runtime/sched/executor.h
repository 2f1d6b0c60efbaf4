#pragma once
/// Runs one plan on this machine. The plan's tree (calls, values, for, if, register, fail,
/// transform) becomes a graph of tasks that grows as loops and branches are decided; tasks run
/// when the tasks they read are done, processes in parallel up to `jobs` and the machine's
/// resources, each step's result reused from the cache when its action is unchanged. Everything
/// is recorded in the workspace's metadata as it happens.
#include "exec/command_runner.h"
#include "meta/meta_store.h"
#include "plan/model.h"
#include "plan/plan.h"
#include "sched/progress.h"
#include "store/hash_cache.h"
#include "store/store.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlpc::sched {

struct RunOptions {
  std::string baseDir;                 ///< absolute: the entry file's directory
  std::vector<std::string> stdlibDirs; ///< to resolve `@stdlib/…` directories
  std::string entry;                   ///< shown in `mlpc runs`
  int jobs = 1;
  bool noCache = false;
  bool keepGoing = false;
  bool dryRun = false; ///< `mlpc plan`: decide what would run, start nothing
  double cpus = 1;     ///< the machine's cores
  double memoryBytes = 0;
  std::string actor; ///< who registers model versions
  /// Data to use instead of today's files (`mlpc reproduce`): name -> artifact value.
  std::map<std::string, plan::Json> dataOverrides;
  bool registerVersions = true; ///< false: `register` nodes only report what they would do
  std::string reproductionOf;   ///< `mlpc reproduce`: the version re-made (recorded on the run)
  /// Commands run on a cluster (`--executor slurm`): its scheduler grants `resources`, so there
  /// is no check against this machine's memory or GPUs and no packing onto `cpus`; `jobs` still
  /// bounds the commands submitted at once.
  bool clusterResources = false;
  /// A fully cached re-run of an unchanged plan may record its hits by repeating the run before
  /// it, without a look-up per step (sched/repeat_run.h). Off: every step is looked up. The
  /// rows recorded are the same either way.
  bool repeatRuns = true;
};

struct RunSummary {
  std::string runId;
  meta::RunStatus status = meta::RunStatus::Failed;
  std::string message;
  meta::RunCounts counts;
  int exitCode = 1;
};

/// One line of `mlpc plan`: what would happen to a node and why.
struct PlanDecision {
  std::string node;
  std::string step;
  /// "cached", "run", "undecided" (a condition or loop decided at run time, or a value known
  /// only then), "decided" (a condition known now), or for what a branch or loop body holds:
  /// "then", "else" (a branch of an undecided condition, or the branch not taken) and "each".
  std::string verdict;
  std::string reason;
  std::string source;
  int depth = 0; ///< nesting under the condition or loop listed before it
};

class Executor {
public:
  Executor(const plan::Plan& plan, const RunOptions& opts, store::Store& store,
           meta::MetaStore& meta, exec::CommandRunner& runner, Progress& progress);
  ~Executor();
  RunSummary run();
  const std::vector<PlanDecision>& decisions() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The canonical action of a step execution (the cache key is its SHA-256): the step, its run
/// template, image, declared env, code hashes, argument values with artifacts by hash, output
/// declarations and the mlpc version. Resources are left out on purpose.
plan::Json canonicalAction(const std::string& stepKey, const plan::StepDef& def,
                           const plan::Json& args, const plan::Json& codeHashes);

} // namespace mlpc::sched
