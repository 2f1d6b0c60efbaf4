#include "deploy/fleet_metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace mlpc::deploy {

void FleetMetrics::record(bool failed, double latencyS) {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  expire(now);
  samples_.push_back({now, failed, latencyS, false});
  ++totals_.requests;
  if (failed) ++totals_.errors;
}

void FleetMetrics::recordCrash() {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  expire(now);
  samples_.push_back({now, true, 0, true});
  ++totals_.crashes;
}

void FleetMetrics::expire(Clock::time_point now) {
  auto horizon =
      now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(windowS_));
  while (!samples_.empty() && samples_.front().at < horizon)
    samples_.pop_front();
}

std::map<std::string, double> FleetMetrics::window() {
  std::lock_guard lock(mu_);
  expire(Clock::now());
  std::vector<double> lat;
  double failed = 0;
  for (auto& s : samples_) {
    if (s.failed) ++failed;
    lat.push_back(s.latencyS);
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(lat.size()))) - 1;
    return lat[std::min(i, lat.size() - 1)];
  };
  double n = static_cast<double>(samples_.size());
  return {{"requests", n},
          {"error_rate", n > 0 ? failed / n : 0.0},
          {"latency_p50", pct(0.50)},
          {"latency_p90", pct(0.90)},
          {"latency_p99", pct(0.99)}};
}

double FleetMetrics::requestsSince(double seconds) {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  expire(now);
  auto from =
      now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  double n = 0;
  // Newest first: stop at the first sample older than the span.
  for (auto it = samples_.rbegin(); it != samples_.rend() && it->at >= from; ++it)
    if (!it->crash) ++n;
  return n;
}

FleetTotals FleetMetrics::totals() {
  std::lock_guard lock(mu_);
  return totals_;
}

void FleetMetrics::resetWindow() {
  std::lock_guard lock(mu_);
  samples_.clear();
}

} // namespace mlpc::deploy
