#pragma once
/// Internal to mlpc_exec: the SIGCHLD self-pipe used where pidfds are unavailable.
#include <string>

namespace mlpc::exec::detail {

/// Installs (once per process) a SIGCHLD handler that writes a byte to a non-blocking self-pipe
/// and then calls whatever handler was installed before it. Returns the pipe's read end, or -1
/// with `error`. Shared by all runners: each one re-checks its own children after a wake-up.
int sigchldPipeFd(std::string& error);

/// Empties the pipe. Call before checking children, so an exit that happens during the check
/// leaves a byte behind and the next poll() wakes up.
void drainSigchldPipe();

} // namespace mlpc::exec::detail
