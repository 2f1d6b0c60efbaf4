#pragma once
/// The seam between the scheduler and processes (the role of ninja's CommandRunner). The scheduler
/// decides what runs and when; a runner only starts commands, reports how they ended and enforces
/// per-command timeouts. Two implementations: makeProcessRunner() (real processes, see
/// exec/process_runner.h) and FakeCommandRunner (scripted, virtual time, see exec/fake_runner.h).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlpc::exec {

/// One command to run.
struct CommandSpec {
  uint64_t id = 0;     ///< Caller's token, echoed in the result. Unique among running commands.
  std::string name;    ///< What it is, for people (a cluster runner's job name); may be empty.
  std::string command; ///< Run as `/bin/sh -c <command>`.
  std::string workdir; ///< Working directory of the child; empty = the caller's cwd.
  /// The FULL environment of the child, in order (the caller builds it; nothing is inherited).
  std::vector<std::pair<std::string, std::string>> env;
  /// Created/truncated with mode 0644 (before umask). Empty = /dev/null. The same path for both
  /// means one shared file (stderr is a dup of stdout, so the two streams interleave correctly).
  /// Relative paths are resolved against the caller's cwd, not `workdir`.
  std::string stdoutPath, stderrPath;
  /// 0 = none. On expiry the whole process group gets SIGTERM, then SIGKILL after a grace period.
  double timeoutSeconds = 0;
  /// What the command asked for (`resources`; 0 = not asked). The process runner ignores them
  /// (the scheduler fits commands to this machine); a cluster runner requests them.
  double cpus = 0, memoryBytes = 0;
  long long gpus = 0;
};

/// How a command ended.
struct CommandResult {
  uint64_t id = 0;
  /// The exit status; 128 + termSignal when killed by a signal (the shell's convention, so a
  /// caller that only looks at exitCode still sees a failure); 127 when it could not be spawned.
  int exitCode = 0;
  int termSignal = 0;                   ///< Signal that killed the process, 0 if it exited.
  bool timedOut = false;                ///< Killed because timeoutSeconds passed.
  bool cancelled = false;               ///< Killed by cancelAll().
  double startedAt = 0, finishedAt = 0; ///< Unix seconds (wall clock: for logs and reports).
  std::string error; ///< Why it could not be spawned (exitCode is 127 then); empty otherwise.
  /// How it ended, in words, when the runner knows more than an exit status (a cluster job that
  /// its scheduler ended: "Slurm job 14 ended NODE_FAIL …"); empty otherwise.
  std::string ending;

  bool succeeded() const {
    return exitCode == 0 && termSignal == 0 && !timedOut && !cancelled && error.empty();
  }
};

/// Abstract runner. Single-threaded: all calls come from the scheduler's thread.
class CommandRunner {
public:
  virtual ~CommandRunner();

  /// Starts `spec`. Returns false (with `error`) only when the spec is rejected up front (an id
  /// that is already running); no result is produced then. A command that fails to spawn (missing
  /// workdir, unwritable output file, ...) is accepted: its failure comes out of waitAny() as a
  /// result with exitCode 127 and `error`, so the scheduler handles every failure in one place.
  virtual bool start(const CommandSpec& spec, std::string& error) = 0;

  /// Blocks until one started command finishes and returns its result. Returns nullopt when
  /// `maxWaitSeconds` (nullopt = no limit) passes first, when an interrupt arrives (see
  /// exec/interrupt.h; check interruptRequested()) or at once when nothing is running.
  /// Never busy-polls; enforces timeouts while it waits (they only advance inside waitAny).
  virtual std::optional<CommandResult> waitAny(std::optional<double> maxWaitSeconds) = 0;

  /// Asks waitAny() to return nullopt also when `fd` is readable (the caller drains it), so
  /// that work finishing on another thread can wake the scheduler. One fd at a time; -1 stops
  /// watching. False when this runner cannot: the caller must then not wait on `fd` through it.
  virtual bool watchWakeFd(int fd) {
    (void)fd;
    return false;
  }
  /// Commands started whose result waitAny() has not returned yet.
  virtual size_t running() const = 0;

  /// Ctrl-C/SIGTERM path: SIGTERM every process group, SIGKILL after the grace period; the
  /// results then come out of waitAny() with cancelled = true. Does not block.
  virtual void cancelAll() = 0;
};

} // namespace mlpc::exec
