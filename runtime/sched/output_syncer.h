#pragma once
/// Makes a finished step's outputs durable off the scheduler's thread. Storing an output ends in
/// fsyncs that wait for the disk (store/store.h); on the scheduler's thread that wait kept it
/// from reaping and starting processes, so with -j slots a slot stayed empty while the disk
/// caught up. The scheduler stages the outputs (Store::stage: hashed, held in tmp/), submits
/// them here, and records the step once its job comes back: metadata still never refers to an
/// object that is not stored. A job's puts are finished in order; a failed one undoes the
/// job's remaining puts (their destructors) and reports the error.
#include "store/store.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlpc::sched {

class OutputSyncer {
public:
  struct Job {
    uint64_t token = 0; ///< the caller's, returned with the job
    std::vector<store::StagedPut> puts;
    std::string error; ///< set when a put could not be finished
    size_t failed = 0; ///< which put, when `error` is set
  };

  /// Finishes the job's puts in order, on the calling thread; at the first that fails, sets
  /// `error` and `failed` and stops (the rest are undone when the job is dropped).
  static void finishJob(const store::Store& store, Job& job);

  /// Starts the thread. Throws std::system_error when the wake-up fd cannot be made.
  explicit OutputSyncer(const store::Store& store);
  /// Finishes every submitted job (nothing staged is lost or left behind), then joins.
  ~OutputSyncer();
  OutputSyncer(const OutputSyncer&) = delete;
  OutputSyncer& operator=(const OutputSyncer&) = delete;

  /// Readable while finished jobs wait in take() (an eventfd; take() drains it).
  int wakeFd() const { return wakeFd_; }
  void submit(Job job);
  /// The finished jobs, in the order they were submitted; never blocks.
  std::vector<Job> take();
  /// Blocks until at least one job is finished, then take()s.
  std::vector<Job> waitTake();
  /// Jobs submitted and not yet taken.
  size_t pending() const;

private:
  void work();

  const store::Store& store_;
  int wakeFd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     ///< the thread: a job was submitted, or stop
  std::condition_variable finished_; ///< waitTake(): a job is finished
  std::deque<Job> queued_, done_;
  size_t pending_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace mlpc::sched
