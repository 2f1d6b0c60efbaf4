#pragma once
/// Internal to mlpc_exec: starting one `/bin/sh -c` child with posix_spawn.
#include "exec/command_runner.h"

#include <string>
#include <sys/types.h>

namespace mlpc::exec::detail {

/// Starts `/bin/sh -c spec.command` as the leader of a new process group (pgid = pid), with stdin
/// from /dev/null, stdout/stderr in the spec's files, fds >= 3 closed, spec.env as the whole
/// environment, an empty signal mask and default dispositions for the signals a parent commonly
/// ignores or handles (SIGPIPE, SIGINT, ...). Returns the pid, or -1 with a message naming what
/// failed (the workdir, an output file or /bin/sh). Nothing is left to reap after a failure.
pid_t spawnShell(const CommandSpec& spec, std::string& error);

} // namespace mlpc::exec::detail
