#pragma once
/// A CommandRunner that runs each command as a Slurm batch job (`mlpc run --executor slurm`).
///
/// start() writes a small batch script next to the run's other job files and hands it to a pool
/// of submitting threads (sbatch takes tens of milliseconds even on a tuned controller, so a
/// fan-out of hundreds of steps must not wait for each submission in turn). The script runs the
/// command with exactly the spec's environment, then writes the command's exit status to `N.rc`
/// beside itself (atomically: written, then renamed). waitAny() learns of finished commands from
/// those files, and asks Slurm (squeue) only about jobs that ended without one:
///   FAILED, NODE_FAIL, BOOT_FAIL, OUT_OF_MEMORY ... -> a failed command (exit 1, Slurm's state
///                                                      in `error`); the scheduler's retries apply
///   TIMEOUT                                         -> timedOut
///   CANCELLED                                       -> cancelled
///   COMPLETED without an exit status file           -> failed: the job did not run the command,
///                                                      or its node does not see this filesystem
/// Slurm's state alone is never trusted: a job recorded COMPLETED 0:0 may never have run.
///
/// Resource requests become --cpus-per-task (rounded up), --mem (MiB, rounded up), --gres=gpu:N;
/// a timeout becomes --time (whole minutes, one more as a margin) and is also enforced here, to
/// the second, with scancel (Slurm checks time limits only every 30 s). cancelAll() scancels every
/// job of the run; a job still being submitted is cancelled as soon as its id is known.
///
/// Requirements: sbatch, squeue and scancel on PATH with a working SLURM_CONF, and the job
/// directory, the step's working directory and its output files on a filesystem every node sees.
#include "exec/command_runner.h"

#include <memory>
#include <string>
#include <vector>

namespace mlpc::exec {

struct SlurmOptions {
  std::string jobDir;        ///< absolute: batch scripts and exit status files (created if missing)
  std::string partition;     ///< empty: the cluster's default partition
  int submitThreads = 4;     ///< sbatch calls in flight at once
  double pollSeconds = 0.05; ///< how often exit status files are looked for
  double squeueSeconds = 1.0; ///< how often Slurm is asked about jobs without one
};

std::unique_ptr<CommandRunner> makeSlurmRunner(const SlurmOptions& options);

/// Runs argv (no shell) and captures its stdout and stderr; the exit status, or -1 with `err`
/// when it could not start. For the Slurm client commands.
int runCapture(const std::vector<std::string>& argv, std::string& out, std::string& err);

} // namespace mlpc::exec
