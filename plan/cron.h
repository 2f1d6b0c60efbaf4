#pragma once
/// Five-field cron expressions of `schedule { cron = "…" }` (minute hour day-of-month month
/// day-of-week, in UTC): `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `x,y`;
/// day-of-week 0-7 with 0 and 7 both Sunday. As in Vixie cron, when both day fields are
/// restricted a day matching either one fires. The checker and the agent share this reading.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>

namespace mlpc::plan {

struct Cron {
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> day;    ///< 1-31
  std::bitset<13> month;  ///< 1-12
  std::bitset<7> weekday; ///< 0-6, Sunday 0
  bool dayStar = true, weekdayStar = true;
};

/// The expression read, or nullopt with `error` saying which field is wrong and why.
std::optional<Cron> parseCron(const std::string& text, std::string& error);

/// The first minute strictly after `afterUnixS` (seconds since the epoch, UTC) at which `c`
/// fires, as seconds since the epoch; nullopt when none within five years (e.g. "0 0 31 2 *").
std::optional<int64_t> nextCronTime(const Cron& c, int64_t afterUnixS);

} // namespace mlpc::plan
