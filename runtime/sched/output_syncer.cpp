#include "sched/output_syncer.h"

#include <cerrno>
#include <cstdint>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace mlpc::sched {

void OutputSyncer::finishJob(const store::Store& store, Job& job) {
  for (size_t i = 0; i < job.puts.size(); ++i) {
    store::Result<store::Artifact> stored = store.finish(job.puts[i]);
    if (!stored) {
      job.error = stored.error();
      job.failed = i;
      return;
    }
  }
}

OutputSyncer::OutputSyncer(const store::Store& store) : store_(store) {
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { work(); });
}

OutputSyncer::~OutputSyncer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ::close(wakeFd_);
}

void OutputSyncer::submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.push_back(std::move(job));
    ++pending_;
  }
  wake_.notify_one();
}

std::vector<OutputSyncer::Job> OutputSyncer::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  // Drained under the lock the thread signals under, so a job finished later leaves it readable.
  uint64_t count = 0;
  (void)!::read(wakeFd_, &count, sizeof count);
  std::vector<Job> out(std::make_move_iterator(done_.begin()),
                       std::make_move_iterator(done_.end()));
  done_.clear();
  pending_ -= out.size();
  return out;
}

std::vector<OutputSyncer::Job> OutputSyncer::waitTake() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [&] { return !done_.empty() || pending_ == 0; });
  }
  return take();
}

size_t OutputSyncer::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_;
}

void OutputSyncer::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queued_.empty(); });
    if (queued_.empty()) return; // stop_, and every job is finished
    // Everything queued at once: the disk's waits overlap the scheduler's work, not each other's.
    std::deque<Job> batch;
    batch.swap(queued_);
    lock.unlock();
    for (Job& job : batch)
      finishJob(store_, job);
    lock.lock();
    for (Job& job : batch)
      done_.push_back(std::move(job));
    const uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof one);
    finished_.notify_all();
  }
}

} // namespace mlpc::sched
