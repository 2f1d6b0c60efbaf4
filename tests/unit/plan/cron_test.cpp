// Cron expressions (plan/cron.h): what parses, the errors, and the next firing in UTC.
#include "plan/cron.h"

#include <catch2/catch.hpp>

using mlpc::plan::nextCronTime;
using mlpc::plan::parseCron;

namespace {
// 2026-12-03 15:10:30 UTC, a Thursday.
constexpr int64_t kNow = 1796310630;
int64_t next(const std::string& expr, int64_t after = kNow) {
  std::string err;
  auto c = parseCron(expr, err);
  INFO(err);
  REQUIRE(c);
  auto t = nextCronTime(*c, after);
  REQUIRE(t);
  return *t;
}
} // namespace

TEST_CASE("the next firing of common expressions", "[plan][cron]") {
  CHECK(next("* * * * *") == kNow - 30 + 60);      // 15:11:00
  CHECK(next("0 3 * * *") == 1796353200);          // tomorrow 03:00
  CHECK(next("*/15 * * * *") == kNow - 630 + 900); // 15:15:00
  CHECK(next("30 15 * * *") == kNow - 630 + 1800); // 15:30:00 today
  CHECK(next("0 0 1 1 *") == 1798761600);          // 2027-01-01 00:00
  CHECK(next("0 9 * * 1-5") == 1796374800);        // Friday 2026-12-04 09:00
  CHECK(next("0 9 * * 6,0") == 1796461200);        // Saturday 2026-12-05 09:00
  CHECK(next("0 9 * * 7") == next("0 9 * * 0"));   // 7 is Sunday too
  // Both day fields restricted: either matches (Vixie cron): the 1st or any Monday.
  CHECK(next("0 0 1 * 1") == 1796601600); // Monday 2026-12-07 00:00
  // Strictly after: at exactly a firing minute, the next one.
  CHECK(next("0 3 * * *", 1796353200) == 1796353200 + 86400);
}

TEST_CASE("bad expressions say which field and why", "[plan][cron]") {
  std::string err;
  CHECK_FALSE(parseCron("* * * *", err));
  CHECK(err.find("5 fields") != std::string::npos);
  CHECK_FALSE(parseCron("60 * * * *", err));
  CHECK(err.find("minute field `60` allows 0 to 59") != std::string::npos);
  CHECK_FALSE(parseCron("* * 0 * *", err));
  CHECK(err.find("day of month") != std::string::npos);
  CHECK_FALSE(parseCron("*/0 * * * *", err));
  CHECK(err.find("step of at least 1") != std::string::npos);
  CHECK_FALSE(parseCron("5-1 * * * *", err));
  CHECK(err.find("upwards") != std::string::npos);
  CHECK_FALSE(parseCron("1,,2 * * * *", err));
  CHECK(err.find("empty list item") != std::string::npos);
  CHECK_FALSE(parseCron("* * * JAN *", err));
  CHECK(err.find("month field `JAN`") != std::string::npos);
}

TEST_CASE("an expression that never fires has no next time", "[plan][cron]") {
  std::string err;
  auto c = parseCron("0 0 31 2 *", err); // 31 February
  REQUIRE(c);
  CHECK_FALSE(nextCronTime(*c, kNow));
}
