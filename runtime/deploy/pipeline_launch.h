#pragma once
/// A pipeline run the agent starts on its own (a schedule's firing, a monitor's `on_alert`):
/// `mlpc run PROGRAM --pipeline P --param k=v … --workspace WS --json` as a child process whose
/// output goes to a log file. The child stops with the agent (SIGTERM, then SIGKILL) and dies
/// with it on kill -9 (Spawner's children).
#include "deploy/server_process.h"
#include "plan/expr.h"

#include <memory>
#include <optional>
#include <string>

namespace mlpc::deploy {

struct LaunchOptions {
  std::string programFile; ///< the .mlp program (absolute); "" when the agent serves a plan file
  std::string workspace;   ///< the agent's workspace (absolute)
  std::string logDir;      ///< where the run's output file goes
};

/// How a launched run ended.
struct LaunchOutcome {
  std::string status; ///< Succeeded, Failed, or Stopped (by the agent)
  std::optional<std::string> runId;
  std::optional<int64_t> exitCode;
  std::string error; ///< why it failed ("" otherwise)
};

class PipelineLaunch {
public:
  /// Starts the run of `call` (a Pipeline expression with constant arguments), its output in
  /// `logDir/logName`. nullptr with `error` when it cannot start.
  static std::unique_ptr<PipelineLaunch> start(const plan::Expr* call, const LaunchOptions& opts,
                                               Spawner& spawner, const std::string& logName,
                                               std::string& error);
  bool running() { return proc_->alive(); }
  /// The outcome once the run ended; with `stop`, stops a run still going first (10 s grace).
  /// nullopt while it runs and `stop` is false.
  std::optional<LaunchOutcome> finish(bool stop);
  const std::string& logPath() const { return logPath_; }

private:
  PipelineLaunch(std::unique_ptr<ServerProcess> proc, std::string logPath)
      : proc_(std::move(proc)), logPath_(std::move(logPath)) {}
  std::unique_ptr<ServerProcess> proc_;
  std::string logPath_;
};

/// The value of a pipeline argument as `--param k=v` takes it: literals only ("" when not).
std::string paramText(const plan::Expr& e);

} // namespace mlpc::deploy
