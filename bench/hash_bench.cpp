// Compares store::sha256File with `openssl dgst -sha256` on one large file and prints a table
// row per cache state. Usage: mlpc_hash_bench [file] [size-MiB] [runs]
//   file     defaults to $TMPDIR/mlpc-hash-bench.bin, created (pseudo-random bytes) if missing
//   size-MiB defaults to 1024; runs defaults to 3 (the best run of each tool is reported)
// "warm" runs read from the page cache; "cold" runs first evict the file's pages with
// posix_fadvise(DONTNEED), which touches only this file, not the machine's whole cache.
#include "store/sha256.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

namespace {

using Clock = std::chrono::steady_clock;

bool createFile(const std::string& path, uint64_t bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::vector<uint64_t> block(1 << 17); // 1 MiB
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint64_t done = 0; done < bytes; done += block.size() * 8) {
    for (uint64_t& w : block) { // xorshift64: incompressible, and fast to generate
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    if (std::fwrite(block.data(), 8, block.size(), f) != block.size()) return std::fclose(f), false;
  }
  return std::fclose(f) == 0;
}

void evict(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string runOpenssl(const std::string& path, double& seconds) {
  std::string cmd = "openssl dgst -sha256 -r '" + path + "'";
  auto t0 = Clock::now();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? std::string(buf) : std::string();
  ::pclose(p);
  seconds = secondsSince(t0);
  return out.substr(0, 64);
}

} // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string path =
      argc > 1 ? argv[1] : std::string(tmp && *tmp ? tmp : "/tmp") + "/mlpc-hash-bench.bin";
  uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != mib << 20) {
    std::fprintf(stderr, "creating %s (%llu MiB)\n", path.c_str(),
                 static_cast<unsigned long long>(mib));
    if (!createFile(path, mib << 20)) {
      std::perror(path.c_str());
      return 1;
    }
  }
  double mb = static_cast<double>(mib << 20) / 1e6;

  fmt::print("| cache | size | mlpc sha256File | openssl dgst -sha256 | ratio |\n");
  fmt::print("|-------|------|-----------------|----------------------|-------|\n");
  for (bool cold : {false, true}) {
    if (!cold) (void)mlpc::store::sha256File(path); // bring the file into the page cache
    double bestOurs = 1e30, bestTheirs = 1e30;
    std::string ours, theirs;
    for (int i = 0; i < runs; ++i) {
      if (cold) evict(path);
      auto t0 = Clock::now();
      auto h = mlpc::store::sha256File(path);
      double s = secondsSince(t0);
      if (!h) {
        std::fprintf(stderr, "%s\n", h.error().c_str());
        return 1;
      }
      ours = *h;
      bestOurs = std::min(bestOurs, s);
      if (cold) evict(path);
      double t = 0;
      theirs = runOpenssl(path, t);
      bestTheirs = std::min(bestTheirs, t);
    }
    if (ours != theirs) {
      std::fprintf(stderr, "digest mismatch: %s vs %s\n", ours.c_str(), theirs.c_str());
      return 1;
    }
    fmt::print("| {} | {} MiB | {:.0f} MB/s | {:.0f} MB/s | {:.1f}% |\n", cold ? "cold" : "warm",
               mib, mb / bestOurs, mb / bestTheirs, 100.0 * bestTheirs / bestOurs);
  }
  return 0;
}
