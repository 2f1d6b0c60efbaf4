#pragma once
/// The real CommandRunner: every command is `/bin/sh -c` in a process group of its own.
///
/// Why posix_spawn and not Boost.Process (which the issue suggested): measured with
/// mlpc_exec_bench on a 2-core VM (2,000 `/bin/sh -c true`, 2 at a time; CPU time of the runner
/// plus its children per command, three interleaved rounds; wall time, noisy under the load of
/// parallel builds, ranked them the same way):
///   posix_spawn + pidfd (this runner), output to /dev/null   0.78 - 1.02 ms
///   Boost.Process 1.74 bp::child + bp::group, same            0.99 - 1.41 ms  (+25-40 %)
///   ninja 1.11.1 -j2 on a build.ninja of 2,000 `true` edges   0.75 - 0.97 ms
///   the same two with the parent holding 1 GiB resident:
///     posix_spawn 0.96 ms;  Boost.Process 43 ms (93 ms wall per command)
/// Boost.Process v1 fork()s, copying the page tables of the whole scheduler per command; glibc's
/// posix_spawn uses clone(CLONE_VM|CLONE_VFORK), so its cost does not grow with our memory.
/// Boost.Process v1 also has no wait-for-any-child short of asio plus a process-wide SIGCHLD
/// handler, and bp::child's destructor kills the child, fighting a scheduler that owns lifetimes.
/// (Creating two new log files per command adds ~1.5 ms on that VM's ext4, whatever spawns: a new
/// file costs 0.94 ms there, truncating an existing one 11 us, a new one on tmpfs 13 us.)
///
/// Waiting: one pidfd per child (pidfd_open, Linux >= 5.3) polled together with the interrupt
/// self-pipe, so waitAny() sleeps in one poll() with the nearest timeout as its limit. Where
/// pidfd_open is unavailable (ENOSYS: old kernels, some sandboxes) the runner falls back to a
/// SIGCHLD handler writing to a self-pipe plus waitid(P_PID, WNOHANG) on its own children only
/// (never waitpid(-1), which would steal other components' children).
#include "exec/command_runner.h"

#include <memory>

namespace mlpc::exec {

/// How the process runner learns that a child exited.
enum class ChildWatch {
  Auto,        ///< pidfd if the kernel supports it, else SigchldPipe.
  Pidfd,       ///< pidfd_open + poll; no process-wide signal state touched.
  SigchldPipe, ///< A SIGCHLD handler (chained to any previous one) writing to a self-pipe.
};

struct ProcessRunnerOptions {
  /// Between the SIGTERM of a timeout/cancel and the SIGKILL of the whole group.
  double killGraceSeconds = 2.0;
  ChildWatch watch = ChildWatch::Auto;
};

/// A runner with the default options.
std::unique_ptr<CommandRunner> makeProcessRunner();
/// A runner with `options`. ChildWatch::Pidfd on a kernel without pidfds falls back to
/// SigchldPipe (watchMechanism() tells which one is in use).
std::unique_ptr<CommandRunner> makeProcessRunner(const ProcessRunnerOptions& options);

/// "pidfd" or "sigchld-pipe": the mechanism a runner from makeProcessRunner() uses; for logs,
/// benchmarks and tests. Returns "" for other runners.
const char* watchMechanism(const CommandRunner& runner);

} // namespace mlpc::exec
