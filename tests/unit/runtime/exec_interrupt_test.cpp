// SIGINT/SIGTERM reach a scheduler blocked in waitAny().
#include "exec/clock.h"
#include "exec/interrupt.h"
#include "exec/process_runner.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <thread>
#include <unistd.h>

using namespace mlpc::exec;

namespace {

CommandSpec sleeper(uint64_t id) {
  CommandSpec s;
  s.id = id;
  s.command = "sleep 100";
  s.env = {{"PATH", "/usr/bin:/bin"}};
  return s;
}

} // namespace

TEST_CASE("exec: a real SIGINT wakes waitAny, then cancelAll collects everything", "[exec]") {
  const ChildWatch watch = GENERATE(ChildWatch::Pidfd, ChildWatch::SigchldPipe);
  // Inside the test case: Catch2 swaps its own handlers in and out around each test case.
  std::string err;
  REQUIRE(installInterruptHandlers(err));
  clearInterrupt();
  ProcessRunnerOptions o;
  o.watch = watch;
  auto runner = makeProcessRunner(o);
  REQUIRE(runner->start(sleeper(1), err));
  REQUIRE(runner->start(sleeper(2), err));

  // From another thread, so the signal may land on either thread: the self-pipe must still wake
  // the one blocked in poll().
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(::getpid(), SIGINT);
  });
  const double t0 = monotonicSeconds();
  auto r = runner->waitAny(std::nullopt);
  const double woke = monotonicSeconds() - t0;
  killer.join();
  CHECK_FALSE(r.has_value());
  CHECK(woke < 0.5);
  CHECK(interruptRequested());
  CHECK(interruptSignal() == SIGINT);

  runner->cancelAll();
  int cancelled = 0;
  while (runner->running() > 0) {
    auto c = runner->waitAny(2.0);
    REQUIRE(c);
    cancelled += c->cancelled ? 1 : 0;
  }
  CHECK(cancelled == 2);
  CHECK(interruptRequested()); // sticky until cleared
  clearInterrupt();
  CHECK_FALSE(interruptRequested());
  CHECK(interruptSignal() == 0);
}

TEST_CASE("exec: an interrupt that arrived before waitAny is not lost", "[exec]") {
  std::string err;
  REQUIRE(installInterruptHandlers(err));
  clearInterrupt();
  auto runner = makeProcessRunner();
  REQUIRE(runner->start(sleeper(1), err));
  requestInterrupt(SIGTERM); // between the scheduler's check and its waitAny()
  const double t0 = monotonicSeconds();
  CHECK_FALSE(runner->waitAny(5.0).has_value());
  CHECK(monotonicSeconds() - t0 < 0.5);
  CHECK(interruptSignal() == SIGTERM);
  // The wake-up was consumed: the next wait blocks again (until its limit).
  CHECK_FALSE(runner->waitAny(0.05).has_value());
  clearInterrupt();
  runner->cancelAll();
  REQUIRE(runner->waitAny(2.0));
}
