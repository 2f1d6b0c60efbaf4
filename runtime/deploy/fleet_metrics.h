#pragma once
/// What the router saw of one fleet (the instances of one model version): every request's
/// outcome and latency, kept for a sliding window, plus totals since the fleet started.
/// The alarm metrics are computed over the window: `requests`, `error_rate` (the share of 5xx
/// answers and failed connections, as a fraction), `latency_p50/p90/p99` (seconds).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace mlpc::deploy {

struct FleetTotals {
  uint64_t requests = 0, errors = 0, crashes = 0;
};

class FleetMetrics {
public:
  using Clock = std::chrono::steady_clock;
  explicit FleetMetrics(double windowS = 60) : windowS_(windowS) {}
  /// `failed`: a 5xx answer or no answer at all.
  void record(bool failed, double latencyS);
  /// A server process died: counts as a failed request in the window (the alarms see it).
  void recordCrash();
  /// The alarm metrics over the last window: requests, error_rate, latency_p50/p90/p99.
  std::map<std::string, double> window();
  FleetTotals totals();
  /// Requests answered or failed in the last `seconds` (at most the window; crashes excluded).
  double requestsSince(double seconds);
  /// Forgets the window (a new phase of a rollout starts watching afresh).
  void resetWindow();

private:
  struct Sample {
    Clock::time_point at;
    bool failed;
    double latencyS;
    bool crash = false;
  };
  void expire(Clock::time_point now);
  std::mutex mu_;
  double windowS_;
  std::deque<Sample> samples_;
  FleetTotals totals_;
};

} // namespace mlpc::deploy
