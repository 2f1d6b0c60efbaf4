#include "deploy/async_store.h"

#include "meta/deploy_log.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace mlpc::deploy {

using nlohmann::json;

namespace {

void fsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

/// Copies `src` to `dst` durably (as writeFileDurably).
bool copyFileDurably(const std::string& src, const std::string& dst, std::string& error) {
  std::ifstream in(src, std::ios::binary);
  if (!in) {
    error = "cannot read " + src;
    return false;
  }
  std::string tmp = dst + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::vector<char> buf(1 << 20);
  bool ok = true;
  while (ok && in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) ok = writeAll(fd, buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (!ok || in.bad() || ::fsync(fd) != 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    error = "cannot rename " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  fsyncDir(fs::path(dst).parent_path().string());
  return true;
}

std::optional<json> readJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

} // namespace

bool writeFileDurably(const std::string& path, const std::string& text, std::string& error) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  if (!writeAll(fd, text.data(), text.size()) || ::fsync(fd) != 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  fsyncDir(fs::path(path).parent_path().string());
  return true;
}

AsyncStore::AsyncStore(std::string root) : root_(std::move(root)) {}

bool AsyncStore::validId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string AsyncStore::newId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

size_t AsyncStore::recover() {
  std::error_code ec;
  fs::create_directories(root_ + "/queue", ec);
  fs::create_directories(root_ + "/results", ec);
  for (auto& e : fs::directory_iterator(root_ + "/results", ec)) // half-written results
    if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
  std::vector<AsyncItem> items;
  for (auto& dir : fs::directory_iterator(root_ + "/queue", ec)) {
    if (!dir.is_directory()) continue;
    std::string endpoint = dir.path().filename().string();
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(dir.path(), ec))
      files.push_back(e.path());
    for (auto& p : files) {
      std::string id = p.stem().string();
      if (p.extension() == ".tmp") {
        fs::remove(p, ec);
        continue;
      }
      bool queued =
          fs::exists(dir.path() / (id + ".json")) && fs::exists(dir.path() / (id + ".body"));
      bool answered = fs::exists(fs::path(root_) / "results" / (id + ".json"));
      if (!queued || answered) { // half an entry, or one answered just before a crash
        fs::remove(p, ec);
        continue;
      }
      if (p.extension() != ".json") continue;
      auto j = readJson(p);
      if (!j) {
        fs::remove(p, ec);
        fs::remove(dir.path() / (id + ".body"), ec);
        continue;
      }
      AsyncItem it;
      it.id = id;
      it.endpoint = endpoint;
      it.contentType = str(*j, "content_type");
      it.accept = str(*j, "accept");
      it.customAttributes = str(*j, "custom_attributes");
      it.receivedAt = num(*j, "received_at");
      it.seq = static_cast<int64_t>(num(*j, "seq"));
      items.push_back(std::move(it));
    }
  }
  std::sort(items.begin(), items.end(), [](const AsyncItem& a, const AsyncItem& b) {
    return std::tie(a.receivedAt, a.seq, a.id) < std::tie(b.receivedAt, b.seq, b.id);
  });
  std::lock_guard lock(mu_);
  for (auto& it : items) {
    nextSeq_ = std::max(nextSeq_, it.seq + 1);
    ids_.insert(it.id);
    ++unanswered_[it.endpoint];
    waiting_[it.endpoint].push_back(std::move(it));
  }
  cv_.notify_all();
  return items.size();
}

AsyncStore::Put AsyncStore::enqueue(AsyncItem& item, const std::string& body,
                                    const std::string& srcPath, size_t limit, std::string& error) {
  std::string dir = root_ + "/queue/" + item.endpoint;
  {
    std::lock_guard lock(mu_);
    if (unanswered_[item.endpoint] >= limit) return Put::Full;
    if (ids_.count(item.id) || fs::exists(root_ + "/results/" + item.id + ".json"))
      return Put::Duplicate;
    ids_.insert(item.id); // reserved while the files are written
    ++unanswered_[item.endpoint];
    item.seq = nextSeq_++;
  }
  auto undo = [&] {
    std::lock_guard lock(mu_);
    ids_.erase(item.id);
    --unanswered_[item.endpoint];
    return Put::Failed;
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string base = dir + "/" + item.id;
  bool ok = srcPath.empty() ? writeFileDurably(base + ".body", body, error)
                            : copyFileDurably(srcPath, base + ".body", error);
  if (!ok) return undo();
  item.receivedAt = meta::wallNow();
  json meta{{"id", item.id},
            {"endpoint", item.endpoint},
            {"content_type", item.contentType},
            {"accept", item.accept},
            {"custom_attributes", item.customAttributes},
            {"received_at", item.receivedAt},
            {"seq", item.seq}};
  if (!writeFileDurably(base + ".json", meta.dump(), error)) {
    fs::remove(base + ".body", ec);
    return undo();
  }
  std::lock_guard lock(mu_);
  waiting_[item.endpoint].push_back(item);
  cv_.notify_all();
  return Put::Ok;
}

std::optional<AsyncItem> AsyncStore::take(const std::string& endpoint, double waitS) {
  std::unique_lock lock(mu_);
  uint64_t wakes = wakes_;
  auto& q = waiting_[endpoint];
  cv_.wait_for(lock, std::chrono::duration<double>(waitS),
               [&] { return !q.empty() || wakes_ != wakes; });
  if (q.empty()) return std::nullopt;
  AsyncItem it = std::move(q.front());
  q.pop_front();
  return it;
}

void AsyncStore::putBack(const AsyncItem& item) {
  std::lock_guard lock(mu_);
  waiting_[item.endpoint].push_front(item);
}

bool AsyncStore::readBody(const AsyncItem& item, std::string& body, std::string& error) const {
  std::string path = root_ + "/queue/" + item.endpoint + "/" + item.id + ".body";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "the request's payload " + path + " is missing";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  body = ss.str();
  return true;
}

bool AsyncStore::finish(const AsyncItem& item, const std::string& status, int httpStatus,
                        const std::string& contentType, const std::string& body, int64_t version,
                        const std::string& failure, std::string& error) {
  std::string base = root_ + "/results/" + item.id;
  std::error_code ec;
  fs::create_directories(root_ + "/results", ec);
  json meta{{"id", item.id},
            {"endpoint", item.endpoint},
            {"status", status},
            {"http_status", httpStatus},
            {"content_type", contentType},
            {"version", version},
            {"error", failure},
            {"received_at", item.receivedAt},
            {"finished_at", meta::wallNow()}};
  if (!writeFileDurably(base + ".out", body, error) ||
      !writeFileDurably(base + ".json", meta.dump(), error))
    return false;
  std::string q = root_ + "/queue/" + item.endpoint + "/" + item.id;
  fs::remove(q + ".json", ec); // the entry first: a lone .body is dropped by recover()
  fs::remove(q + ".body", ec);
  fsyncDir(root_ + "/queue/" + item.endpoint);
  std::lock_guard lock(mu_);
  ids_.erase(item.id);
  if (unanswered_[item.endpoint] > 0) --unanswered_[item.endpoint];
  return true;
}

size_t AsyncStore::unanswered(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  auto it = unanswered_.find(endpoint);
  return it == unanswered_.end() ? 0 : it->second;
}

void AsyncStore::wake() {
  std::lock_guard lock(mu_);
  ++wakes_;
  cv_.notify_all();
}

AsyncStatus AsyncStore::lookup(const std::string& root, const std::string& id) {
  AsyncStatus s;
  s.id = id;
  if (!validId(id)) return s;
  if (auto j = readJson(root + "/results/" + id + ".json")) {
    s.status = str(*j, "status");
    s.endpoint = str(*j, "endpoint");
    s.contentType = str(*j, "content_type");
    s.error = str(*j, "error");
    s.httpStatus = static_cast<int>(num(*j, "http_status"));
    s.version = static_cast<int64_t>(num(*j, "version"));
    s.receivedAt = num(*j, "received_at");
    s.finishedAt = num(*j, "finished_at");
    s.bodyPath = root + "/results/" + id + ".out";
    return s;
  }
  std::error_code ec;
  for (auto& dir : fs::directory_iterator(root + "/queue", ec)) {
    fs::path p = dir.path() / (id + ".json");
    if (!fs::exists(p, ec)) continue;
    auto j = readJson(p);
    s.status = "Pending";
    s.endpoint = dir.path().filename().string();
    if (j) s.receivedAt = num(*j, "received_at");
    return s;
  }
  return s;
}

} // namespace mlpc::deploy
