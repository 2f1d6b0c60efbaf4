#pragma once
/// Learning of SIGINT/SIGTERM while blocked in CommandRunner::waitAny().
///
/// Children run in their own process groups, so a terminal's Ctrl-C reaches only mlpc; mlpc then
/// decides to cancelAll() and collect the cancelled results. The handler only sets a flag and
/// writes a byte to a self-pipe (both async-signal-safe); the process runner polls the pipe's read
/// end next to its children, so waitAny() returns nullopt promptly instead of sleeping on.
///
/// Typical scheduler loop:
///   installInterruptHandlers(err);
///   while (...) {
///     auto r = runner.waitAny(std::nullopt);
///     if (!r && interruptRequested() && !cancelled) { runner.cancelAll(); cancelled = true; }
///   }
#include <string>

namespace mlpc::exec {

/// Installs the SIGINT and SIGTERM handlers and creates the self-pipe (once). Calling it again
/// re-installs the handlers, in case something replaced them. Returns false with `error` if the
/// pipe or the handlers cannot be set up.
bool installInterruptHandlers(std::string& error);

/// True once SIGINT or SIGTERM arrived (or requestInterrupt() was called) since the last
/// clearInterrupt().
bool interruptRequested();

/// The signal that arrived first (SIGINT or SIGTERM), 0 if none: a CLI exits with 128 + it.
int interruptSignal();

/// Forgets the interrupt and drains the pipe (for tests and for long-lived callers).
void clearInterrupt();

/// Acts as if `signal` arrived: sets the flag and wakes waitAny(). For tests and fakes. Works
/// (flag only) even without installInterruptHandlers().
void requestInterrupt(int signal);

/// The self-pipe's read end, -1 before installInterruptHandlers(). Becomes readable when an
/// interrupt arrives; for runners that wait on file descriptors.
int interruptFd();

/// Empties the self-pipe after a wake-up (the flag stays set).
void drainInterruptFd();

} // namespace mlpc::exec
