#pragma once
// Frees the analyses an edit replaced on a thread of its own. Freeing a 100k-step program's
// analysis takes about a tenth of a second of CPU; done on the server's thread it delayed the
// check of the next edit, which an editor typing steadily sends as soon as the diagnostics
// arrive. The thread runs at SCHED_IDLE, so it takes a core only while the check leaves one idle
// (the check itself runs on one thread; only large files are parsed on several).
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mlpc::lsp {

struct Analysis;

class Reaper {
public:
  Reaper();
  /// Frees what is still queued, then stops the thread.
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  /// Drops these references on the reaper's thread (an analysis still referenced elsewhere is
  /// freed by its last owner, as ever).
  void release(std::vector<std::shared_ptr<const Analysis>> batch);

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<const Analysis>> queue_;
  bool stop_ = false;
  std::thread thread_; ///< started last: it reads the members above
  void loop();
};

} // namespace mlpc::lsp
