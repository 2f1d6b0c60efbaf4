#pragma once
/// How a run reports what happens: a live status line on a terminal, plain lines otherwise, or a
/// JSON event per line for tools (`--json`).
#include "plan/plan.h"

#include <chrono>
#include <memory>
#include <string>

namespace mlpc::sched {

struct ProgressEvent {
  std::string event; ///< run_started, started, cached, succeeded, failed, skipped, retrying,
                     ///< registered, message, run_finished
  std::string node;
  std::string step;
  std::string detail;
  std::string source;
  double seconds = 0;
};

class Progress {
public:
  virtual ~Progress() = default;
  virtual void emit(const ProgressEvent& e) = 0;
  /// Called before the run waits (for a process, or a retry's delay) and when it ends: shows
  /// anything held back.
  virtual void flush() {}
  /// Counts shown on the status line.
  int done = 0, running = 0, cached = 0, failed = 0;
};

enum class ProgressStyle { Terminal, Plain, Json, Quiet };
/// Terminal when stderr is a terminal and NO_COLOR/--json are not in force.
ProgressStyle defaultProgressStyle();
std::unique_ptr<Progress> makeProgress(ProgressStyle style);

} // namespace mlpc::sched
