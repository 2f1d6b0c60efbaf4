// FakeCommandRunner: scripted outcomes on a virtual clock, deterministic.
#include "exec/fake_runner.h"
#include "exec/interrupt.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace mlpc::exec;

namespace {

constexpr double T0 = 1000.0;

CommandSpec cmd(uint64_t id, std::string command = "true", double timeout = 0) {
  CommandSpec s;
  s.id = id;
  s.command = std::move(command);
  s.timeoutSeconds = timeout;
  return s;
}

FakeOutcome takes(double seconds, int exitCode = 0) {
  FakeOutcome o;
  o.durationSeconds = seconds;
  o.exitCode = exitCode;
  return o;
}

void startOk(CommandRunner& r, const CommandSpec& spec) {
  std::string err;
  REQUIRE(r.start(spec, err));
}

/// A tiny -j scheduler over `specs`, as the real one will drive a runner.
std::vector<CommandResult> runAll(CommandRunner& r, const std::vector<CommandSpec>& specs,
                                  size_t jobs) {
  std::vector<CommandResult> results;
  size_t next = 0;
  while (next < specs.size() || r.running() > 0) {
    while (next < specs.size() && r.running() < jobs)
      startOk(r, specs[next++]);
    auto res = r.waitAny(std::nullopt);
    REQUIRE(res);
    results.push_back(*res);
  }
  return results;
}

} // namespace

TEST_CASE("fake: results come in virtual finish order and the clock jumps", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  fake.scriptId(1, {takes(3)});
  fake.scriptId(2, {takes(1, 2)});
  fake.scriptId(3, {takes(2)});
  for (uint64_t id : {1, 2, 3})
    startOk(fake, cmd(id));
  CHECK(fake.running() == 3);

  auto a = fake.waitAny(std::nullopt);
  REQUIRE(a);
  CHECK(a->id == 2);
  CHECK(a->exitCode == 2);
  CHECK(a->startedAt == T0);
  CHECK(a->finishedAt == T0 + 1);
  CHECK(fake.now() == T0 + 1);
  CHECK(fake.waitAny(std::nullopt)->id == 3);
  CHECK(fake.waitAny(std::nullopt)->id == 1);
  CHECK(fake.now() == T0 + 3);
  CHECK(fake.running() == 0);
  CHECK_FALSE(fake.waitAny(std::nullopt).has_value());
  CHECK(fake.startOrder() == std::vector<uint64_t>{1, 2, 3});
  CHECK(fake.maxConcurrency() == 3);
}

TEST_CASE("fake: equal finish times resolve in start order", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  for (uint64_t id : {5, 3, 9})
    startOk(fake, cmd(id));
  CHECK(fake.waitAny(std::nullopt)->id == 5);
  CHECK(fake.waitAny(std::nullopt)->id == 3);
  CHECK(fake.waitAny(std::nullopt)->id == 9);
}

TEST_CASE("fake: scripts by command text drive retries", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  fake.scriptCommand("flaky", {takes(1, 1), takes(1, 0)});
  FakeOutcome byId = takes(0, 42);
  fake.scriptId(99, {byId});

  startOk(fake, cmd(1, "flaky"));
  CHECK(fake.waitAny(std::nullopt)->exitCode == 1);
  startOk(fake, cmd(1, "flaky")); // the retry
  CHECK(fake.waitAny(std::nullopt)->exitCode == 0);
  startOk(fake, cmd(2, "flaky")); // script used up: the last outcome repeats
  CHECK(fake.waitAny(std::nullopt)->exitCode == 0);
  startOk(fake, cmd(99, "flaky")); // an id script wins over the command text
  CHECK(fake.waitAny(std::nullopt)->exitCode == 42);
  startOk(fake, cmd(3, "other")); // default outcome
  CHECK(fake.waitAny(std::nullopt)->exitCode == 0);
  CHECK(fake.now() == T0 + 3); // three 1 s runs of "flaky"; the others take no time
}

TEST_CASE("fake: timeouts and the grace period take no real time", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  FakeOutcome hang;
  hang.hang = true;
  FakeOutcome stubborn = hang;
  stubborn.ignoresSigterm = true;
  fake.scriptId(1, {hang});
  fake.scriptId(2, {stubborn});
  fake.scriptId(3, {takes(5)});
  startOk(fake, cmd(1, "h", 600));
  startOk(fake, cmd(2, "s", 600));
  startOk(fake, cmd(3, "ok", 600));

  auto ok = fake.waitAny(std::nullopt);
  REQUIRE(ok);
  CHECK(ok->id == 3);
  CHECK_FALSE(ok->timedOut);
  auto h = fake.waitAny(std::nullopt);
  REQUIRE(h);
  CHECK(h->id == 1);
  CHECK(h->timedOut);
  CHECK(h->termSignal == SIGTERM);
  CHECK(h->exitCode == 128 + SIGTERM);
  CHECK(h->finishedAt == T0 + 600);
  auto s = fake.waitAny(std::nullopt);
  REQUIRE(s);
  CHECK(s->timedOut);
  CHECK(s->termSignal == SIGKILL);
  CHECK(s->finishedAt == T0 + 602); // default grace 2 s
}

TEST_CASE("fake: maxWait advances the clock and returns nullopt", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  fake.scriptId(1, {takes(5)});
  startOk(fake, cmd(1));
  CHECK_FALSE(fake.waitAny(1.0).has_value());
  CHECK(fake.now() == T0 + 1);
  CHECK_FALSE(fake.waitAny(0).has_value());
  auto r = fake.waitAny(10.0);
  REQUIRE(r);
  CHECK(r->finishedAt == T0 + 5);
  CHECK(fake.now() == T0 + 5);
}

TEST_CASE("fake: cancelAll, hangs and spawn errors", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  FakeOutcome hang;
  hang.hang = true;
  FakeOutcome broken;
  broken.spawnError = "cannot enter workdir '/nope'";
  fake.setDefaultOutcome(hang);
  fake.scriptId(3, {broken});

  startOk(fake, cmd(1));
  startOk(fake, cmd(2));
  startOk(fake, cmd(3));
  auto b = fake.waitAny(std::nullopt);
  REQUIRE(b);
  CHECK(b->id == 3);
  CHECK(b->exitCode == 127);
  CHECK(b->error == "cannot enter workdir '/nope'");
  // Only hangs without a timeout remain: nullopt instead of blocking the test forever.
  CHECK_FALSE(fake.waitAny(std::nullopt).has_value());
  CHECK_FALSE(fake.waitAny(30).has_value());
  CHECK(fake.now() == T0 + 30);

  fake.cancelAll();
  for (int i = 0; i < 2; ++i) {
    auto r = fake.waitAny(std::nullopt);
    REQUIRE(r);
    CHECK(r->cancelled);
    CHECK_FALSE(r->timedOut);
    CHECK(r->termSignal == SIGTERM);
    CHECK(r->finishedAt == T0 + 30);
  }
  CHECK(fake.running() == 0);
}

TEST_CASE("fake: an id that is running is rejected", "[exec][fake]") {
  FakeCommandRunner fake(T0);
  startOk(fake, cmd(1));
  std::string err;
  CHECK_FALSE(fake.start(cmd(1), err));
  CHECK_FALSE(err.empty());
  CHECK(fake.started().size() == 1);
}

TEST_CASE("fake: a scheduled interrupt wakes waitAny at its virtual time", "[exec][fake]") {
  clearInterrupt();
  FakeCommandRunner fake(T0);
  fake.scriptId(1, {takes(10)});
  fake.scheduleInterrupt(T0 + 4);
  startOk(fake, cmd(1));
  CHECK_FALSE(fake.waitAny(std::nullopt).has_value());
  CHECK(fake.now() == T0 + 4);
  CHECK(interruptRequested());
  fake.cancelAll();
  auto r = fake.waitAny(std::nullopt);
  REQUIRE(r);
  CHECK(r->cancelled);
  CHECK(r->finishedAt == T0 + 4);
  clearInterrupt();
}

TEST_CASE("fake: output text is written to the spec's files", "[exec][fake]") {
  char tmpl[] = "/tmp/mlpc-fake-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  FakeCommandRunner fake(T0);
  FakeOutcome o;
  o.stdoutText = "hello\n";
  o.stderrText = "warning\n";
  fake.setDefaultOutcome(o);
  auto spec = cmd(1);
  spec.stdoutPath = dir + "/out";
  spec.stderrPath = dir + "/err";
  startOk(fake, spec);
  REQUIRE(fake.waitAny(std::nullopt));
  std::ifstream out(spec.stdoutPath), err(spec.stderrPath);
  std::stringstream so, se;
  so << out.rdbuf();
  se << err.rdbuf();
  CHECK(so.str() == "hello\n");
  CHECK(se.str() == "warning\n");
  std::remove(spec.stdoutPath.c_str());
  std::remove(spec.stderrPath.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("fake: the same script gives the same run, and -j is respected", "[exec][fake]") {
  std::vector<CommandSpec> specs;
  for (uint64_t i = 0; i < 20; ++i)
    specs.push_back(cmd(i, "step" + std::to_string(i % 4), (i % 5 == 0) ? 2.5 : 0));
  auto scripted = [] {
    auto fake = std::make_unique<FakeCommandRunner>(T0);
    fake->scriptCommand("step0", {takes(3), takes(0.5, 1)});
    fake->scriptCommand("step1", {takes(1)});
    fake->scriptCommand("step2", {takes(0.25, 2), takes(2)});
    fake->scriptCommand("step3", {takes(0.75)});
    FakeOutcome hang;
    hang.hang = true;
    fake->scriptId(15, {hang}); // has the 2.5 s timeout
    return fake;
  };
  auto key = [](const std::vector<CommandResult>& rs) {
    std::vector<std::tuple<uint64_t, int, int, bool, double, double>> k;
    for (auto& r : rs)
      k.emplace_back(r.id, r.exitCode, r.termSignal, r.timedOut, r.startedAt, r.finishedAt);
    return k;
  };

  auto first = scripted();
  auto a = runAll(*first, specs, 3);
  auto second = scripted();
  auto b = runAll(*second, specs, 3);
  CHECK(key(a) == key(b));
  CHECK(first->startOrder() == second->startOrder());
  CHECK(first->startTimes() == second->startTimes());
  CHECK(first->maxConcurrency() == 3);
  CHECK(a.size() == specs.size());
  auto resultOf = [&](uint64_t id) {
    for (auto& r : a)
      if (r.id == id) return r;
    FAIL("no result for " << id);
    return CommandResult{};
  };
  CHECK(resultOf(0).timedOut); // step0 takes 3 s on its first run; its timeout is 2.5 s
  CHECK(resultOf(15).timedOut);
  CHECK(resultOf(15).finishedAt - resultOf(15).startedAt == 2.5);
  CHECK(resultOf(2).exitCode == 2);
  CHECK(resultOf(4).exitCode == 1); // step0's second run
}
