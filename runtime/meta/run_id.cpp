#include "meta/run_id.h"

#include <ctime>
#include <random>

#include <fmt/format.h>

namespace mlpc::meta {

std::string makeRunId(double startedAtUnixSeconds, uint32_t random) {
  std::time_t t = static_cast<std::time_t>(startedAtUnixSeconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("r-{:04}{:02}{:02}-{:02}{:02}{:02}-{:04x}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, random & 0xffff);
}

uint32_t randomRunSuffix() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<uint32_t>(rng());
}

} // namespace mlpc::meta
