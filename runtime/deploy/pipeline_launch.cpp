#include "deploy/pipeline_launch.h"

#include "exec/shell_quote.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

extern char** environ;

namespace mlpc::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string number(double v) {
  json j = v == std::floor(v) && std::fabs(v) < 1e15 ? json(static_cast<int64_t>(v)) : json(v);
  return j.dump();
}

std::string selfExe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "/proc/self/exe" : p.string();
}

/// The command line that runs `call`, or "" with `error`.
std::string command(const plan::Expr* call, const LaunchOptions& opts, std::string& error) {
  if (opts.programFile.empty()) {
    error = "the agent serves a plan file; pipeline runs need the .mlp program (mlpc up FILE.mlp)";
    return "";
  }
  if (!call || call->kind != plan::ExprKind::Pipeline) {
    error = "it does not name a pipeline";
    return "";
  }
  std::string cmd = exec::shellQuote(selfExe()) + " run " + exec::shellQuote(opts.programFile) +
                    " --pipeline " + exec::shellQuote(call->name);
  for (auto& [k, v] : call->named) {
    if (!v) continue;
    std::string text = paramText(*v);
    if (text.empty() && !(v->kind == plan::ExprKind::Lit && v->value.is_string())) {
      error = "the argument `" + k + "` is not a constant the agent can pass as --param";
      return "";
    }
    cmd += " --param " + exec::shellQuote(k + "=" + text);
  }
  return cmd + " --workspace " + exec::shellQuote(opts.workspace) + " --json";
}

} // namespace

std::string paramText(const plan::Expr& e) {
  if (e.kind == plan::ExprKind::List) {
    std::string out;
    for (auto& item : e.items) {
      if (!item) return "";
      std::string v = paramText(*item);
      if (v.empty()) return "";
      out += (out.empty() ? "" : ",") + v;
    }
    return out;
  }
  if (e.kind != plan::ExprKind::Lit) return "";
  const json& v = e.value;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (!v.is_number()) return "";
  double x = v.get<double>();
  if (e.type == "duration") return number(x) + "s";
  if (e.type == "size") return number(x) + "B";
  if (e.type == "percent") return number(x) + "%";
  return v.dump();
}

std::unique_ptr<PipelineLaunch> PipelineLaunch::start(const plan::Expr* call,
                                                      const LaunchOptions& opts, Spawner& spawner,
                                                      const std::string& logName,
                                                      std::string& error) {
  SpawnRequest req;
  req.command = command(call, opts, error);
  if (req.command.empty()) return nullptr;
  req.workdir = fs::path(opts.programFile).parent_path().string();
  for (char** v = environ; v && *v; ++v) {
    std::string kv = *v;
    auto eq = kv.find('=');
    if (eq != std::string::npos) req.env.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  std::error_code ec;
  fs::create_directories(opts.logDir, ec);
  req.logPath = opts.logDir + "/" + logName;
  pid_t pid = spawner.spawn(req, error);
  if (pid < 0) {
    error = "cannot start `mlpc run`: " + error;
    return nullptr;
  }
  return std::unique_ptr<PipelineLaunch>(
      new PipelineLaunch(std::make_unique<ServerProcess>(pid), req.logPath));
}

std::optional<LaunchOutcome> PipelineLaunch::finish(bool stop) {
  bool stopped = false; // by the agent; a run that had already ended keeps its outcome
  if (proc_->alive()) {
    if (!stop) return std::nullopt;
    proc_->stop(10.0); // `mlpc run` stops its steps and records the run as interrupted
    stopped = true;
  }
  LaunchOutcome out;
  std::string ending = proc_->ending();
  if (ending.rfind("exit ", 0) == 0) out.exitCode = std::stoll(ending.substr(5));
  // The run's id from its `run_finished` (or `run_started`) event.
  std::ifstream in(logPath_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    json ev = json::parse(line, nullptr, false); // an event of `mlpc run --json`
    if (!ev.is_object()) continue;
    if (auto it = ev.find("run"); it != ev.end() && it->is_string())
      out.runId = it->get<std::string>();
  }
  out.status = stopped ? "Stopped" : out.exitCode == 0 ? "Succeeded" : "Failed";
  if (!stopped && out.exitCode != 0) out.error = "mlpc run ended: " + ending;
  return out;
}

} // namespace mlpc::deploy
