#include "lsp/reaper.h"

#include <pthread.h>
#include <sched.h>

namespace mlpc::lsp {

Reaper::Reaper() : thread_([this] { loop(); }) {}

Reaper::~Reaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Reaper::release(std::vector<std::shared_ptr<const Analysis>> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& a : batch)
      queue_.push_back(std::move(a));
  }
  cv_.notify_one();
}

void Reaper::loop() {
  // Best effort: where the policy cannot be set, freeing still happens off the server's thread.
  sched_param idle{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    std::vector<std::shared_ptr<const Analysis>> batch;
    batch.swap(queue_);
    lock.unlock();
    batch.clear(); // the frees, outside the lock
    lock.lock();
    if (stop_ && queue_.empty()) return;
  }
}

} // namespace mlpc::lsp
