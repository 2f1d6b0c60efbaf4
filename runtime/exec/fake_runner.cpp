#include "exec/fake_runner.h"

#include "exec/interrupt.h"

#include <algorithm>
#include <csignal>
#include <fstream>
#include <limits>

namespace mlpc::exec {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

void writeFile(const std::string& path, const std::string& text) {
  if (path.empty() || text.empty()) return;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

} // namespace

FakeCommandRunner::FakeCommandRunner(double startTime) : now_(startTime) {}

void FakeCommandRunner::scriptId(uint64_t id, std::vector<FakeOutcome> outcomes) {
  byId_[id] = std::move(outcomes);
  usedById_[id] = 0;
}

void FakeCommandRunner::scriptCommand(const std::string& command,
                                      std::vector<FakeOutcome> outcomes) {
  byCommand_[command] = std::move(outcomes);
  usedByCommand_[command] = 0;
}

std::vector<uint64_t> FakeCommandRunner::startOrder() const {
  std::vector<uint64_t> ids;
  ids.reserve(started_.size());
  for (const CommandSpec& s : started_)
    ids.push_back(s.id);
  return ids;
}

FakeOutcome FakeCommandRunner::take(std::vector<FakeOutcome>& script, size_t& used) {
  FakeOutcome o = script[std::min(used, script.size() - 1)];
  ++used;
  return o;
}

FakeOutcome FakeCommandRunner::nextOutcome(const CommandSpec& spec) {
  if (auto it = byId_.find(spec.id); it != byId_.end() && !it->second.empty())
    return take(it->second, usedById_[spec.id]);
  if (auto it = byCommand_.find(spec.command); it != byCommand_.end() && !it->second.empty())
    return take(it->second, usedByCommand_[spec.command]);
  return default_;
}

bool FakeCommandRunner::start(const CommandSpec& spec, std::string& error) {
  if (std::any_of(active_.begin(), active_.end(), [&](auto& a) { return a.spec.id == spec.id; })) {
    error = "command id " + std::to_string(spec.id) + " is already running";
    return false;
  }
  if (onStart_) onStart_(spec);
  Active a;
  a.spec = spec;
  a.outcome = nextOutcome(spec);
  a.startedAt = now_;
  a.seq = seq_++;
  if (!a.outcome.spawnError.empty())
    a.naturalEnd = now_;
  else
    a.naturalEnd = a.outcome.hang ? kNever : now_ + std::max(0.0, a.outcome.durationSeconds);
  if (spec.timeoutSeconds > 0 && a.outcome.spawnError.empty())
    a.timeoutAt = now_ + spec.timeoutSeconds;
  started_.push_back(spec);
  startTimes_.push_back(now_);
  active_.push_back(std::move(a));
  maxConcurrency_ = std::max(maxConcurrency_, active_.size());
  return true;
}

double FakeCommandRunner::killedAt(const Active& a) const {
  const double term = std::min(a.timeoutAt, a.cancelAt);
  return a.outcome.ignoresSigterm ? term + grace_ : term;
}

double FakeCommandRunner::finishAt(const Active& a) const {
  return std::min(a.naturalEnd, killedAt(a));
}

std::optional<CommandResult> FakeCommandRunner::waitAny(std::optional<double> maxWaitSeconds) {
  if (active_.empty()) return std::nullopt;
  const double limit = maxWaitSeconds ? now_ + std::max(0.0, *maxWaitSeconds) : kNever;

  auto best = active_.begin();
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    const double t = finishAt(*it), bt = finishAt(*best);
    if (t < bt || (t == bt && it->seq < best->seq)) best = it;
  }
  const double end = finishAt(*best);

  // Results that are due at the same instant win, as in the process runner.
  if (interruptAt_ && *interruptAt_ < end && *interruptAt_ <= limit) {
    now_ = std::max(now_, *interruptAt_);
    interruptAt_.reset();
    requestInterrupt(SIGINT);
    return std::nullopt;
  }
  if (end == kNever && limit == kNever) return std::nullopt; // would block forever
  if (end > limit) {
    now_ = limit;
    return std::nullopt;
  }
  now_ = std::max(now_, end);
  CommandResult r = finish(*best);
  active_.erase(best);
  return r;
}

void FakeCommandRunner::cancelAll() {
  for (Active& a : active_)
    if (a.cancelAt == kNever) a.cancelAt = now_;
}

CommandResult FakeCommandRunner::finish(const Active& a) const {
  CommandResult r;
  r.id = a.spec.id;
  r.startedAt = a.startedAt;
  r.finishedAt = finishAt(a);
  if (!a.outcome.spawnError.empty()) {
    r.exitCode = 127;
    r.error = a.outcome.spawnError;
    return r;
  }
  // Whichever signal source came first is reported, like the process runner: SIGTERM is sent
  // once, so a later timeout or cancel does not relabel it.
  const double term = std::min(a.timeoutAt, a.cancelAt);
  if (term < a.naturalEnd) {
    r.timedOut = a.timeoutAt <= a.cancelAt;
    r.cancelled = !r.timedOut;
  }
  writeFile(a.spec.stdoutPath, a.outcome.stdoutText);
  writeFile(a.spec.stderrPath, a.outcome.stderrText);
  if (killedAt(a) < a.naturalEnd) {
    r.termSignal = a.outcome.ignoresSigterm ? SIGKILL : SIGTERM;
    r.exitCode = 128 + r.termSignal;
  } else if (a.outcome.termSignal != 0) {
    r.termSignal = a.outcome.termSignal;
    r.exitCode = 128 + r.termSignal;
  } else {
    r.exitCode = a.outcome.exitCode;
  }
  return r;
}

} // namespace mlpc::exec
