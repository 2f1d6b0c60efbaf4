#include "deploy/fleet.h"

#include "meta/process.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <thread>

namespace mlpc::deploy {

namespace {

std::string logTail(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > 4 ? lines.size() - 4 : 0; i < lines.size(); ++i)
    out += "\n    " + lines[i];
  return out;
}

} // namespace

double steadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool waitHealthy(int port, const std::string& path, ServerProcess& proc, double timeoutS,
                 std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutS);
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(0, 300'000);
  cli.set_read_timeout(2, 0);
  for (;;) {
    if (!proc.alive()) {
      error = "the server stopped (" + proc.ending() + ") before it answered GET " + path;
      return false;
    }
    if (auto res = cli.Get(path); res && res->status == 200) return true;
    if (std::chrono::steady_clock::now() > deadline) {
      error = "the server did not answer GET " + path + " with 200 within " +
              std::to_string(static_cast<int>(timeoutS)) + " s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Fleet::Fleet(std::string endpoint, ServerTemplate tmpl, int size, Spawner& spawner,
             std::string logDir, meta::DeployLog* log)
    : endpoint_(std::move(endpoint)), tmpl_(std::move(tmpl)), spawner_(spawner),
      logDir_(std::move(logDir)), log_(log) {
  slots_.resize(static_cast<size_t>(std::max(1, size)));
}

bool Fleet::startOne(size_t slot, double healthTimeoutS, std::string& error) {
  auto inst = std::make_shared<Instance>();
  inst->port = freeLoopbackPort();
  if (inst->port == 0) {
    error = "no free loopback port";
    return false;
  }
  inst->logPath = logDir_ + "/" + endpoint_ + "-v" + std::to_string(tmpl_.version) + "-" +
                  std::to_string(slot) + ".log";
  SpawnRequest req;
  if (!tmpl_.render(inst->port, inst->logPath, req, error)) return false;
  pid_t pid = spawner_.spawn(req, error);
  if (pid < 0) return false;
  inst->proc = std::make_unique<ServerProcess>(pid);
  inst->startedAt = meta::wallNow();
  if (log_)
    (void)log_->addInstance(
        {endpoint_, tmpl_.version, pid, meta::processStartTime(pid), inst->port, inst->startedAt});
  {
    std::lock_guard lock(mu_);
    if (slot >= slots_.size()) { // scaled in while this instance was being (re)started
      inst->proc->stop(1.0);
      if (log_) (void)log_->removeInstance(endpoint_, pid);
      error = "the fleet was scaled in";
      return false;
    }
    slots_[slot] = inst;
  }
  std::string why;
  if (!waitHealthy(inst->port, tmpl_.healthPath, *inst->proc, healthTimeoutS, why)) {
    inst->proc->stop(1.0);
    if (log_) (void)log_->removeInstance(endpoint_, pid);
    error = tmpl_.group + " version " + std::to_string(tmpl_.version) + ": " + why + "; its log (" +
            inst->logPath + ") ends:" + logTail(inst->logPath);
    return false;
  }
  inst->ready = true;
  return true;
}

bool Fleet::startSlots(size_t from, size_t to, double healthTimeoutS, std::string& error) {
  // The instances start together; each is health-checked on its own.
  std::vector<std::string> errors(to - from);
  std::vector<char> ok(to - from, 0);
  std::vector<std::thread> threads;
  for (size_t i = from; i < to; ++i)
    threads.emplace_back([&, i] { ok[i - from] = startOne(i, healthTimeoutS, errors[i - from]); });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < ok.size(); ++i)
    if (!ok[i]) {
      error = errors[i];
      return false;
    }
  return true;
}

bool Fleet::start(double healthTimeoutS, std::string& error) {
  return startSlots(0, static_cast<size_t>(size()), healthTimeoutS, error);
}

bool Fleet::grow(int to, double healthTimeoutS, std::string& error) {
  size_t from = 0;
  {
    std::lock_guard lock(mu_);
    from = slots_.size();
    if (static_cast<size_t>(to) <= from) return true;
    slots_.resize(static_cast<size_t>(to));
  }
  if (startSlots(from, static_cast<size_t>(to), healthTimeoutS, error)) return true;
  shrinkTo(static_cast<int>(from), 0);
  return false;
}

void Fleet::shrinkTo(int to, double drainS) {
  std::vector<std::shared_ptr<Instance>> gone;
  {
    std::lock_guard lock(mu_);
    while (slots_.size() > static_cast<size_t>(std::max(1, to))) {
      gone.push_back(slots_.back());
      slots_.pop_back();
    }
  }
  stopInstances(gone, drainS);
}

void Fleet::stopInstances(const std::vector<std::shared_ptr<Instance>>& gone, double drainS) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(drainS);
  for (auto& inst : gone) {
    if (!inst) continue; // a slot whose instance never started
    inst->ready = false;
    while (inst->busy > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    inst->proc->stop(5.0);
    if (log_) (void)log_->removeInstance(endpoint_, inst->proc->pid());
  }
}

std::vector<std::string> Fleet::supervise(double healthTimeoutS) {
  std::vector<std::string> deaths;
  for (size_t i = 0; !stopping_; ++i) {
    std::shared_ptr<Instance> inst;
    {
      std::lock_guard lock(mu_);
      if (i >= slots_.size()) break;
      inst = slots_[i];
    }
    if (!inst || inst->proc->alive()) continue;
    inst->ready = false;
    metrics_.recordCrash();
    std::string what = "instance " + std::to_string(i) + " (pid " +
                       std::to_string(inst->proc->pid()) + ", port " + std::to_string(inst->port) +
                       ") stopped: " + inst->proc->ending();
    if (log_) {
      (void)log_->removeInstance(endpoint_, inst->proc->pid());
      (void)log_->recordEvent(endpoint_, std::nullopt, "crash",
                              nlohmann::json{{"version", tmpl_.version},
                                             {"instance", i},
                                             {"pid", inst->proc->pid()},
                                             {"ending", inst->proc->ending()}}
                                  .dump());
    }
    std::string err;
    if (startOne(i, healthTimeoutS, err))
      what += "; restarted";
    else
      what += "; restarting failed: " + err;
    if (log_)
      (void)log_->recordEvent(
          endpoint_, std::nullopt, err.empty() ? "restart" : "restart_failed",
          nlohmann::json{{"version", tmpl_.version}, {"instance", i}, {"error", err}}.dump());
    deaths.push_back(what);
  }
  return deaths;
}

void Fleet::stop(double drainS) {
  stopping_ = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(drainS);
  while (inflight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mu_);
    all = slots_;
  }
  stopInstances(all, 0); // the fleet's requests have drained (or the time is up)
}

Fleet::Lease Fleet::acquire() {
  std::lock_guard lock(mu_);
  size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    auto& inst = slots_[next_++ % n];
    if (inst && inst->ready) {
      ++inst->busy;
      return {inst->port, std::shared_ptr<void>(nullptr, [i = inst](void*) { --i->busy; })};
    }
  }
  return {};
}

int Fleet::size() {
  std::lock_guard lock(mu_);
  return static_cast<int>(slots_.size());
}

std::vector<InstanceStatus> Fleet::instances() {
  std::lock_guard lock(mu_);
  std::vector<InstanceStatus> out;
  for (auto& inst : slots_)
    if (inst) out.push_back({inst->proc->pid(), inst->port, inst->ready, inst->startedAt});
  return out;
}

int Fleet::readyCount() {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& inst : slots_)
    if (inst && inst->ready) ++n;
  return n;
}

} // namespace mlpc::deploy
