#include "deploy/upstream_pool.h"

#include <httplib.h>

namespace mlpc::deploy {

namespace {
// Idle connections kept per server, and servers remembered: instances get fresh ports when they
// restart, so the pool forgets everything once it has seen this many ports.
constexpr size_t kIdlePerPort = 64;
constexpr size_t kMaxPorts = 256;
} // namespace

UpstreamPool::UpstreamPool() = default;
UpstreamPool::~UpstreamPool() = default;

std::unique_ptr<httplib::Client> UpstreamPool::fresh(int port) {
  auto cli = std::make_unique<httplib::Client>("127.0.0.1", port);
  cli->set_connection_timeout(2, 0);
  cli->set_read_timeout(60, 0);
  cli->set_write_timeout(60, 0);
  cli->set_keep_alive(true);
  // Without it a small request written as headers then body waits for the server's delayed
  // ACK: 40 ms per request.
  cli->set_tcp_nodelay(true);
  return cli;
}

UpstreamPool::Lease UpstreamPool::acquire(int port) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(port);
    if (it != idle_.end() && !it->second.empty()) {
      Lease l{std::move(it->second.back()), true};
      it->second.pop_back();
      return l;
    }
  }
  return {fresh(port), false};
}

void UpstreamPool::release(int port, std::unique_ptr<httplib::Client> client) {
  std::lock_guard lock(mu_);
  if (idle_.size() >= kMaxPorts && !idle_.count(port)) idle_.clear();
  auto& v = idle_[port];
  if (v.size() < kIdlePerPort) v.push_back(std::move(client));
}

} // namespace mlpc::deploy
