// `mlpc up FILE [--detach] [--port N]`: the deployment agent. Brings up every endpoint of the
// program at the version its `model` resolves to, routes their traffic (SageMaker's runtime
// API on loopback) and keeps them running until SIGINT/SIGTERM or `mlpc down`.
#include "agent_client.h"
#include "commands.h"
#include "run_support.h"

#include "deploy/agent.h"
#include "deploy/agent_files.h"
#include "exec/interrupt.h"
#include "meta/deploy_log.h"

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace mlpc::cli {

namespace {

namespace fs = std::filesystem;

struct UpOpts {
  std::string file;
  std::string pipeline;
  std::string workspace;
  int port = 8080;
  bool detach = false;
  bool child = false; ///< the background process `--detach` starts
  DiagOptions diag;
};

std::string lastLines(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += "  " + lines[i] + "\n";
  return out;
}

/// Starts `mlpc up … --agent-child` in a new session with its output in the agent log; waits
/// until it has brought every endpoint up (or failed). Returns the exit code.
int startDetached(const UpOpts& o, const std::string& ws) {
  std::string dir = deploy::agentDir(ws);
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string logPath = dir + "/agent.log";
  std::vector<std::string> args = {"mlpc",
                                   "up",
                                   fs::absolute(o.file).string(),
                                   "--port",
                                   std::to_string(o.port),
                                   "--workspace",
                                   ws,
                                   "--agent-child"};
  if (!o.pipeline.empty()) args.insert(args.end(), {"--pipeline", o.pipeline});
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string self = "/proc/self/exe";
  long startSize = static_cast<long>(fs::exists(logPath, ec) ? fs::file_size(logPath, ec) : 0);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "error: cannot start the agent in the background\n";
    return 2;
  }
  if (pid == 0) {
    ::setsid();
    int in = ::open("/dev/null", O_RDONLY);
    int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close_range(3, ~0U, 0);
    ::execv(self.c_str(), argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      std::ifstream in(logPath);
      in.seekg(startSize);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::cerr << text;
      if (text.find("error:") == std::string::npos)
        std::cerr << "error: the agent stopped while starting (see " << logPath << ")\n";
      return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : 1;
    }
    std::string why;
    if (auto info = deploy::findAgent(ws, why); info && info->pid == pid) {
      AgentConn conn{ws, *info};
      int saved = exitCode();
      auto status = agentGet(conn, "/mlpc/endpoints");
      exitCode() = saved;
      bool creating = !status;
      if (status)
        for (auto& e : status->at("endpoints")) // the agent status, not a plan
          if (e["state"] == "Creating") creating = true;
      if (!creating) {
        std::cout << "mlpc agent running in the background (pid " << pid << ", "
                  << (*status)["agent"]["url"].get<std::string>() << "); log: " << logPath << "\n";
        printEndpointsTable(*status);
        printMissedFirings(*status);
        std::cout << "stop it with `mlpc down`\n";
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "error: the agent did not finish starting within 5 minutes; see " << logPath
            << lastLines(logPath, 5) << "\n";
  return 1;
}

void runAgent(const UpOpts& o, LoadedPlan& lp, sched::Workspace& ws) {
  std::string err;
  auto lock = deploy::AgentLock::acquire(ws.dir, err);
  if (!lock) {
    std::cerr << "error: " << err << "\n";
    exitCode() = 1;
    return;
  }
  if (!exec::installInterruptHandlers(err)) std::cerr << "warning: " << err << "\n";
  auto log = meta::DeployLog::open(ws.dir);
  if (!log) {
    std::cerr << "error: cannot open the deployment records: " << log.error() << "\n";
    exitCode() = 2;
    return;
  }
  deploy::AgentOptions ao;
  ao.ctx.baseDir = lp.baseDir;
  ao.ctx.stdlibDirs = stdlibDirs();
  ao.ctx.workspace = ws.dir;
  ao.port = o.port;
  if (fs::path(o.file).extension() == ".mlp") ao.programFile = fs::absolute(o.file).string();
  deploy::Agent agent(lp.plan, ao, *ws.meta, *ws.store, **log);
  if (!agent.listen(err)) {
    std::cerr << "error: " << err << "\n";
    exitCode() = 1;
    return;
  }
  lock->publish(agent.port());
  std::cout << "mlpc agent (pid " << ::getpid() << ") listening on " << agent.baseUrl() << "\n"
            << std::flush;
  agent.bringUp();
  auto status = agent.status();
  printEndpointsTable(status);
  printMissedFirings(status);
  std::cout << std::flush;
  agent.supervise([] { return exec::interruptRequested(); });
  std::cout << "stopping: draining requests in flight, stopping the servers\n" << std::flush;
  agent.shutdown();
  std::cout << "stopped\n";
}

} // namespace

void registerUp(CLI::App& app) {
  auto o = std::make_shared<UpOpts>();
  auto* cmd = app.add_subcommand(
      "up", "Serve the program's endpoints on this machine and run its schedules (the agent)");
  cmd->add_option("FILE", o->file, "The .mlp file whose endpoints to serve")->required();
  cmd->add_option("-p,--pipeline", o->pipeline, "The pipeline (needed when the file has several)");
  cmd->add_option("--port", o->port,
                  "The router's port on 127.0.0.1 (default 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_flag("--detach", o->detach,
                "Run in the background (pid and port files in the workspace's agent/)");
  cmd->add_option("--workspace", o->workspace,
                  "Workspace directory (default: $MLP_WORKSPACE, else .mlp/ beside the file)");
  cmd->add_flag("--agent-child", o->child, "(internal) the background agent itself")->group("");
  addDiagOptions(*cmd, o->diag);
  cmd->callback([o] {
    auto lp = loadPlan(o->file, o->pipeline, {}, o->diag);
    if (!lp) return;
    if (lp->plan.endpoints.empty() && lp->plan.schedules.empty()) {
      std::cerr << "error: " << o->file
                << " declares no endpoint and no schedule; nothing for the agent to do\n";
      exitCode() = 1;
      return;
    }
    auto ws = openWorkspaceOrReport(o->workspace, lp->baseDir, true);
    if (!ws) return;
    if (o->detach && !o->child) {
      std::string why;
      if (auto a = deploy::findAgent(ws->dir, why)) {
        std::cerr << "error: an agent is already running in this workspace (pid " << a->pid
                  << ", http://127.0.0.1:" << a->port << "); stop it with `mlpc down`\n";
        exitCode() = 1;
        return;
      }
      if (why.find("stale pid file") != std::string::npos)
        std::cerr << "note: " << why.substr(why.find("removed a stale")) << "\n";
      exitCode() = startDetached(*o, ws->dir);
      return;
    }
    runAgent(*o, *lp, *ws);
  });
}

} // namespace mlpc::cli
