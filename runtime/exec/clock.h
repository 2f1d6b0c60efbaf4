#pragma once
/// The two clocks of the exec layer: a monotonic one for timeouts and waiting (immune to NTP
/// steps and manual clock changes) and the wall clock for the timestamps reported to users.
#include <chrono>

namespace mlpc::exec {

/// Seconds on CLOCK_MONOTONIC; only differences are meaningful.
inline double monotonicSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// Unix seconds (CLOCK_REALTIME).
inline double unixSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace mlpc::exec
