#include "exec/interrupt.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mlpc::exec {
namespace {

// Plain globals because the signal handler may only touch lock-free, async-signal-safe state.
volatile std::sig_atomic_t gSignal = 0;
int gPipe[2] = {-1, -1};

void wake() {
  if (gPipe[1] < 0) return;
  // Non-blocking: if the pipe is full a wake-up is already pending, so dropping the byte is fine.
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(gPipe[1], &byte, 1);
}

extern "C" void onInterrupt(int sig) {
  const int savedErrno = errno; // the interrupted code may be between a syscall and its errno check
  if (gSignal == 0) gSignal = sig;
  wake();
  errno = savedErrno;
}

} // namespace

bool installInterruptHandlers(std::string& error) {
  if (gPipe[0] < 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      error = std::string("cannot create the interrupt pipe: ") + std::strerror(errno);
      return false;
    }
    // Publish the pipe before the handlers exist so the handler never sees half a setup.
    gPipe[0] = fds[0];
    gPipe[1] = fds[1];
  }
  // Always (re)installed: something (a test framework, a library) may have replaced them.
  struct sigaction sa {};
  sa.sa_handler = onInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; // poll() still returns EINTR; other blocking calls just continue
  for (int sig : {SIGINT, SIGTERM}) {
    if (::sigaction(sig, &sa, nullptr) != 0) {
      error = std::string("cannot install the signal handler: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

bool interruptRequested() {
  return gSignal != 0;
}

int interruptSignal() {
  return gSignal;
}

void clearInterrupt() {
  gSignal = 0;
  drainInterruptFd();
}

void requestInterrupt(int signal) {
  if (gSignal == 0) gSignal = signal;
  wake();
}

int interruptFd() {
  return gPipe[0];
}

void drainInterruptFd() {
  if (gPipe[0] < 0) return;
  char buf[64];
  while (::read(gPipe[0], buf, sizeof buf) > 0) {
  }
}

} // namespace mlpc::exec
