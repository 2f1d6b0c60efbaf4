#pragma once
/// A deterministic CommandRunner for scheduler tests: no processes, a virtual clock.
///
/// Each start() takes the next outcome scripted for the command's id, else for its command text,
/// else the default outcome (exit 0, zero duration). A key's last outcome repeats once its script
/// is used up, so `{fail, succeed}` describes "fails once, then succeeds" for retry tests.
/// waitAny() jumps the virtual clock to the earliest finish (ties: earlier start() first), so
/// timeouts, grace periods and back-off take no real time and every run gives the same results.
#include "exec/command_runner.h"

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::exec {

/// What one scripted run of a command does.
struct FakeOutcome {
  int exitCode = 0;
  int termSignal = 0;          ///< Non-zero: dies of this signal (exitCode = 128 + it).
  double durationSeconds = 0;  ///< Virtual run time.
  bool hang = false;           ///< Never ends by itself: only its timeout or cancelAll() ends it.
  bool ignoresSigterm = false; ///< When killed, lives on until the grace period's SIGKILL.
  std::string spawnError;      ///< Non-empty: fails to spawn (exitCode 127, finishes at once).
  std::string stdoutText, stderrText; ///< Written to the spec's files when non-empty.
};

class FakeCommandRunner final : public CommandRunner {
public:
  /// `startTime`: the virtual clock's initial value, in unix seconds.
  explicit FakeCommandRunner(double startTime = 1'700'000'000.0);

  /// Outcomes for successive starts of the command with this id (checked first).
  void scriptId(uint64_t id, std::vector<FakeOutcome> outcomes);
  /// Outcomes for successive starts of commands with exactly this text.
  void scriptCommand(const std::string& command, std::vector<FakeOutcome> outcomes);
  /// The outcome of commands without a script.
  void setDefaultOutcome(FakeOutcome outcome) { default_ = std::move(outcome); }
  /// Like ProcessRunnerOptions::killGraceSeconds (2 s by default).
  void setKillGraceSeconds(double seconds) { grace_ = seconds; }
  /// At virtual time `at`, waitAny() calls requestInterrupt(SIGINT) and returns nullopt, as the
  /// process runner does when Ctrl-C arrives. The caller clears it with clearInterrupt().
  void scheduleInterrupt(double at) { interruptAt_ = at; }
  /// Called by every accepted start(), before the command's outcome is chosen: a test can play
  /// the command's part (e.g. write the outputs a scheduler will look for, named in the spec's
  /// command or env) or script this start's outcome with scriptId(spec.id, ...).
  void setOnStart(std::function<void(const CommandSpec&)> onStart) {
    onStart_ = std::move(onStart);
  }

  /// The virtual clock (unix seconds).
  double now() const { return now_; }
  /// Every accepted spec, in start() order.
  const std::vector<CommandSpec>& started() const { return started_; }
  /// The ids of started(), in order.
  std::vector<uint64_t> startOrder() const;
  /// The virtual time of each started() entry.
  const std::vector<double>& startTimes() const { return startTimes_; }
  /// The most commands running at once (running() at its peak).
  size_t maxConcurrency() const { return maxConcurrency_; }

  bool start(const CommandSpec& spec, std::string& error) override;
  /// Returns nullopt instead of blocking forever when only hanging commands without a timeout
  /// remain and no limit is given, so a broken scheduler test fails instead of hanging.
  std::optional<CommandResult> waitAny(std::optional<double> maxWaitSeconds) override;
  size_t running() const override { return active_.size(); }
  void cancelAll() override;

private:
  struct Active {
    CommandSpec spec;
    FakeOutcome outcome;
    double startedAt = 0;
    double naturalEnd = 0; ///< When it would end by itself; infinity for a hang.
    double timeoutAt = std::numeric_limits<double>::infinity(); ///< SIGTERM from the timeout.
    double cancelAt = std::numeric_limits<double>::infinity();  ///< SIGTERM from cancelAll().
    uint64_t seq = 0; ///< start() order, for deterministic tie-breaking.
  };

  FakeOutcome nextOutcome(const CommandSpec& spec);
  static FakeOutcome take(std::vector<FakeOutcome>& script, size_t& used);
  double killedAt(const Active& a) const; ///< When a signal ends it, if it runs that long.
  double finishAt(const Active& a) const;
  CommandResult finish(const Active& a) const;

  double now_;
  double grace_ = 2.0;
  std::optional<double> interruptAt_;
  std::function<void(const CommandSpec&)> onStart_;
  FakeOutcome default_;
  std::map<uint64_t, std::vector<FakeOutcome>> byId_;
  std::map<std::string, std::vector<FakeOutcome>> byCommand_;
  std::map<uint64_t, size_t> usedById_;
  std::map<std::string, size_t> usedByCommand_;
  std::vector<Active> active_;
  std::vector<CommandSpec> started_;
  std::vector<double> startTimes_;
  uint64_t seq_ = 0;
  size_t maxConcurrency_ = 0;
};

} // namespace mlpc::exec
