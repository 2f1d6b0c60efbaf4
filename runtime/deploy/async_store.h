#pragma once
/// The durable queue and result store of `async` endpoints, as files in the workspace:
///
///   <workspace>/async/queue/ENDPOINT/ID.body   a request's payload
///   <workspace>/async/queue/ENDPOINT/ID.json   its headers, arrival time and sequence number
///   <workspace>/async/results/ID.out           the model server's answer (or error) body
///   <workspace>/async/results/ID.json          status (Completed, Failed), HTTP status, type
///
/// Every file is written to a `.tmp` name, fsync'ed and renamed, and the directory fsync'ed; a
/// request is in the queue once its `.json` exists (written after its `.body`), and done once
/// its result `.json` exists (written after the `.out`), after which its queue files are
/// removed. So `kill -9` at any point leaves either a whole entry or none: a request is
/// processed at least once, and one whose result was written is never processed again.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace mlpc::deploy {

struct AsyncItem {
  std::string id, endpoint, contentType, accept, customAttributes;
  double receivedAt = 0;
  int64_t seq = 0;
};

/// What is known of an inference id.
struct AsyncStatus {
  std::string status; ///< "Pending", "Completed", "Failed"; "" when the id is unknown
  std::string id, endpoint, contentType, error;
  int httpStatus = 0;
  int64_t version = 0;
  double receivedAt = 0, finishedAt = 0;
  std::string bodyPath; ///< the answer's (or the error's) body, when done
};

class AsyncStore {
public:
  /// `root` is `<workspace>/async`.
  explicit AsyncStore(std::string root);

  /// Loads the requests a previous agent left in the queue (removing half-written files and
  /// entries whose result was already written). Returns how many are waiting.
  size_t recover();

  enum class Put { Ok, Full, Duplicate, Failed };
  /// Writes `item` (its id set) with its payload — `body`, or the file `srcPath` when not empty —
  /// durably into `endpoint`'s queue, unless `limit` requests of that endpoint are already
  /// unanswered (Full) or the id is in use (Duplicate). Failed with `error` on an I/O error.
  Put enqueue(AsyncItem& item, const std::string& body, const std::string& srcPath, size_t limit,
              std::string& error);
  /// The oldest waiting request of `endpoint`, waiting at most `waitS`; nullopt when none (or
  /// wake() was called).
  std::optional<AsyncItem> take(const std::string& endpoint, double waitS);
  /// Puts a request taken but not answered back at the head of its queue.
  void putBack(const AsyncItem& item);
  /// The payload of a queued request; false with `error` when it cannot be read.
  bool readBody(const AsyncItem& item, std::string& body, std::string& error) const;
  /// Stores the answer (`status` "Completed" or "Failed") and removes the request from the
  /// queue. False with `error` on an I/O error (the request then stays queued).
  bool finish(const AsyncItem& item, const std::string& status, int httpStatus,
              const std::string& contentType, const std::string& body, int64_t version,
              const std::string& failure, std::string& error);
  /// Requests of `endpoint` accepted and not answered yet (queued or being processed).
  size_t unanswered(const std::string& endpoint);
  /// Wakes every take().
  void wake();

  /// The status of inference `id` in the store at `root`, read from the files (no agent needed).
  static AsyncStatus lookup(const std::string& root, const std::string& id);
  /// Whether `id` can name an inference: 1–64 characters of [A-Za-z0-9._-], not starting with '.'.
  static bool validId(const std::string& id);
  static std::string newId();

private:
  std::string root_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<AsyncItem>> waiting_;
  std::map<std::string, size_t> unanswered_;
  std::set<std::string> ids_; ///< queued or being processed
  int64_t nextSeq_ = 1;
  uint64_t wakes_ = 0;
};

/// `text` written to `path` durably: a `.tmp` file fsync'ed, renamed, and the directory
/// fsync'ed. False with `error`.
bool writeFileDurably(const std::string& path, const std::string& text, std::string& error);

} // namespace mlpc::deploy
