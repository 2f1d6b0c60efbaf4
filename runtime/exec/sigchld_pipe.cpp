#include "exec/sigchld_pipe.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace mlpc::exec::detail {
namespace {

int gPipe[2] = {-1, -1};
struct sigaction gPrevious {};

extern "C" void onSigchld(int sig, siginfo_t* info, void* context) {
  const int savedErrno = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(gPipe[1], &byte, 1); // full pipe = wake-up pending
  // Chain: another component of the process may rely on its own SIGCHLD handler.
  if (gPrevious.sa_flags & SA_SIGINFO) {
    if (gPrevious.sa_sigaction) gPrevious.sa_sigaction(sig, info, context);
  } else if (gPrevious.sa_handler != SIG_DFL && gPrevious.sa_handler != SIG_IGN) {
    gPrevious.sa_handler(sig);
  }
  errno = savedErrno;
}

} // namespace

int sigchldPipeFd(std::string& error) {
  static std::once_flag once;
  static std::string setupError;
  std::call_once(once, [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      setupError = std::string("cannot create the SIGCHLD pipe: ") + std::strerror(errno);
      return;
    }
    gPipe[0] = fds[0];
    gPipe[1] = fds[1];
    struct sigaction sa {};
    sa.sa_sigaction = onSigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_RESTART; // no SA_NOCLDSTOP: a chained handler may want stops
    if (::sigaction(SIGCHLD, &sa, &gPrevious) != 0)
      setupError = std::string("cannot install the SIGCHLD handler: ") + std::strerror(errno);
  });
  if (!setupError.empty()) {
    error = setupError;
    return -1;
  }
  return gPipe[0];
}

void drainSigchldPipe() {
  char buf[64];
  while (gPipe[0] >= 0 && ::read(gPipe[0], buf, sizeof buf) > 0) {
  }
}

} // namespace mlpc::exec::detail
