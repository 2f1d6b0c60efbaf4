#pragma once
/// Whether a run may repeat the run before it as a whole (meta::MetaStore::repeatLastRun)
/// instead of looking each step up: a fully cached re-run of a large pipeline then records its
/// hits in one statement (docs/speed.md). What the plan decides is checked here; what the
/// record decides (the same plan, code, data and parameters; the reused executions still
/// stored) is checked by the metadata store.
#include "plan/model.h"
#include "sched/executor.h"

namespace mlpc::sched {

/// False when a look-up per step could decide something that repeating the earlier run would
/// not: a `register` or `transform` node (they do more than reuse executions), a step whose
/// `cache` is set (turned off, or results that expire), or a step whose `resources` ask for
/// what this machine may not have (a GPU, memory) or depend on its arguments. Also false for a
/// dry run, `--no-cache`, a reproduction, and when `opts.repeatRuns` is off.
bool planMayRepeat(const plan::Plan& plan, const RunOptions& opts);

} // namespace mlpc::sched
