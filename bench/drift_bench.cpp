// A monitoring run's work on a large window: writes N capture records (SageMaker data-capture
// JSON Lines, one request of one row of 20 numeric features each, as the router writes them) into
// a temporary capture directory, then times what the agent does for one execution — read the
// window (monitor::readCaptureWindow), compute its statistics (statisticsOf) and compare them
// with a 100,000-row baseline (compare: psi, ks, missing and the checks). Best of 3 runs.
// Usage: mlpc_drift_bench [records]   (default 100000; the goal: <= 1 s)
#include "monitor/capture_window.h"
#include "monitor/drift.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
constexpr int kFeatures = 20;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 100000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: mlpc_drift_bench [records]\n");
    return 2;
  }
  fs::path dir = fs::temp_directory_path() / ("mlpc-drift-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "v1/2026/12/03/10");
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0, 1);
  std::vector<std::string> names;
  for (int f = 0; f < kFeatures; ++f)
    names.push_back("f" + std::to_string(f));
  {
    std::ofstream out(dir / "v1/2026/12/03/10/capture.jsonl", std::ios::binary);
    for (long i = 0; i < n; ++i) {
      nlohmann::json row = nlohmann::json::array();
      for (int f = 0; f < kFeatures; ++f)
        row.push_back(std::round((normal(rng) + 0.3 * f + (f % 3 == 0 ? 0.5 : 0)) * 1e4) / 1e4);
      char when[32];
      std::snprintf(when, sizeof when, "2026-12-03T10:%02ld:%02ldZ", (i / 60) % 60, i % 60);
      nlohmann::json rec{
          {"captureData",
           {{"endpointInput",
             {{"observedContentType", "application/json"},
              {"mode", "INPUT"},
              {"data", nlohmann::json{{"instances", nlohmann::json::array({row})}}.dump()},
              {"encoding", "JSON"}}}}},
          {"eventMetadata", {{"eventId", std::to_string(i)}, {"inferenceTime", when}}},
          {"eventVersion", "0"}};
      out << rec.dump() << "\n";
    }
  }
  std::vector<std::vector<std::string>> baseRows;
  for (long i = 0; i < 100000; ++i) {
    std::vector<std::string> r;
    for (int f = 0; f < kFeatures; ++f)
      r.push_back(std::to_string(normal(rng) + 0.3 * f));
    baseRows.push_back(std::move(r));
  }
  auto baseline = mlpc::monitor::statisticsOf(names, baseRows);
  std::uintmax_t bytes = fs::file_size(dir / "v1/2026/12/03/10/capture.jsonl");
  double best = 1e9, readBest = 0, statsBest = 0, compareBest = 0;
  size_t violations = 0;
  for (int run = 0; run < 3; ++run) {
    auto t0 = Clock::now();
    auto w = mlpc::monitor::readCaptureWindow(dir.string(), "2026-12-03T00:00:00Z",
                                              "2026-12-04T00:00:00Z", names);
    auto t1 = Clock::now();
    auto stats = mlpc::monitor::statisticsOf(w.header, w.rows);
    auto t2 = Clock::now();
    auto report = mlpc::monitor::compare(baseline, stats, false);
    auto t3 = Clock::now();
    if (seconds(t0, t3) < best) {
      best = seconds(t0, t3);
      readBest = seconds(t0, t1);
      statsBest = seconds(t1, t2);
      compareBest = seconds(t2, t3);
      violations = report.violations.size();
    }
    if (static_cast<long>(w.rows.size()) != n) {
      std::fprintf(stderr, "read %zu rows, expected %ld\n", w.rows.size(), n);
      return 1;
    }
  }
  fs::remove_all(dir);
  std::printf("%ld records (%.1f MB of capture), %d features: %.3f s "
              "(read %.3f, statistics %.3f, compare %.3f), %zu violations\n",
              n, static_cast<double>(bytes) / 1e6, kFeatures, best, readBest, statsBest,
              compareBest, violations);
  return 0;
}
