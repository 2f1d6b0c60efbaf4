#pragma once
// What run, plan and reproduce share: getting a plan (compiled now, or read from a file) with
// its parameters applied, and the workspace it runs in.
#include "common.h"
#include "plan/model.h"
#include "plan/plan.h"
#include "sched/executor.h"
#include "sched/workspace.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::cli {

struct LoadedPlan {
  plan::Plan plan;
  std::string baseDir; ///< absolute: where the entry file lives
  std::string entry;   ///< what the user named
};

/// `target` is a .mlp file (compiled in memory) or a plan .json written by `mlpc compile`.
std::optional<LoadedPlan> loadPlan(const std::string& target, const std::string& pipeline,
                                   const std::vector<std::string>& params, const DiagOptions& diag);

/// Applies --param NAME=VALUE to a plan's parameters (typed by the plan); false after printing.
bool applyParams(plan::Plan& plan, const std::vector<std::string>& params);

/// Reads a plan file (`mlpc compile`'s output, or a run's recorded plan) into the typed plan;
/// nullopt with `error` saying what is wrong in user terms.
std::optional<plan::Plan> readPlanText(const std::string& text, std::string& error);

/// Opens the workspace for a command, printing the error and setting the exit code on failure.
std::optional<sched::Workspace> openWorkspaceOrReport(const std::string& explicitDir,
                                                      const std::string& besideDir, bool create);

std::vector<std::string> stdlibDirs();

/// Run options for this machine: -j (0: the number of cores), its memory, the stdlib, the actor.
sched::RunOptions defaultRunOptions(const LoadedPlan& lp, int jobs, bool noCache, bool keepGoing);

/// Who is acting: $MLP_ACTOR, else $USER, else the login name.
std::string actorName();

} // namespace mlpc::cli
