// Firings missed while no agent ran (runtime/deploy/missed_firings.h): counted from the marks an
// earlier agent left, for cron and every schedules; nothing counted when the trigger changed;
// a mark file that is absent, truncated or of another shape reads as no marks.
#include "deploy/missed_firings.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using mlpc::deploy::missedFirings;
using mlpc::deploy::readScheduleMarks;
using mlpc::deploy::ScheduleMark;
using mlpc::deploy::writeScheduleMarks;

namespace {
constexpr double kMidnight = 1764806400; // 2025-12-04T00:00:00Z
std::optional<mlpc::plan::Cron> cron(const std::string& text) {
  std::string why;
  return mlpc::plan::parseCron(text, why);
}
} // namespace

TEST_CASE("every: the firings from the awaited one up to now", "[deploy][missed]") {
  ScheduleMark was{"every", "60", kMidnight};
  ScheduleMark now{"every", "60", kMidnight + 600};
  CHECK(missedFirings(was, now, std::nullopt, kMidnight - 1, 1000) == 0); // not due yet
  CHECK(missedFirings(was, now, std::nullopt, kMidnight, 1000) == 1);     // due at that second
  CHECK(missedFirings(was, now, std::nullopt, kMidnight + 59, 1000) == 1);
  CHECK(missedFirings(was, now, std::nullopt, kMidnight + 150, 1000) == 3);    // 0, 60, 120
  CHECK(missedFirings(was, now, std::nullopt, kMidnight + 1e9, 1000) == 1000); // capped
}

TEST_CASE("cron: the matching minutes from the awaited one up to now", "[deploy][missed]") {
  auto daily = cron("0 3 * * *");
  REQUIRE(daily);
  ScheduleMark was{"cron", "0 3 * * *", kMidnight + 3 * 3600};
  ScheduleMark now = was;
  CHECK(missedFirings(was, now, daily, kMidnight + 3 * 3600 - 1, 100) == 0);
  CHECK(missedFirings(was, now, daily, kMidnight + 3 * 3600, 100) == 1);
  CHECK(missedFirings(was, now, daily, kMidnight + 3 * 86400, 100) == 3); // the 4th, 5th, 6th
  auto minutely = cron("* * * * *");
  ScheduleMark m{"cron", "* * * * *", kMidnight};
  CHECK(missedFirings(m, m, minutely, kMidnight + 365 * 86400.0, 5000) == 5000); // capped walk
}

TEST_CASE("a changed trigger counts nothing", "[deploy][missed]") {
  ScheduleMark was{"cron", "0 3 * * *", kMidnight};
  CHECK(missedFirings(was, {"cron", "0 4 * * *", 0}, cron("0 4 * * *"), kMidnight + 86400, 99) ==
        0);
  CHECK(missedFirings({"every", "60", kMidnight}, {"every", "30", 0}, std::nullopt, kMidnight + 600,
                      99) == 0);
  CHECK(missedFirings(was, {"every", "60", 0}, std::nullopt, kMidnight + 86400, 99) == 0);
}

TEST_CASE("the marks file: written whole, read back, bad files read as none", "[deploy][missed]") {
  auto dir = std::filesystem::temp_directory_path() / ("mlpc-missed-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "schedules.json").string();
  CHECK(readScheduleMarks(path).empty()); // no file yet
  REQUIRE(writeScheduleMarks(
      path,
      {{"nightly", {"cron", "0 3 * * *", kMidnight}}, {"tick", {"every", "2", kMidnight + 2}}},
      kMidnight - 5));
  auto back = readScheduleMarks(path);
  REQUIRE(back.size() == 2);
  CHECK(back["nightly"].spec == "0 3 * * *");
  CHECK(back["tick"].nextAt == kMidnight + 2);
  CHECK(back["tick"].writtenAt == kMidnight - 5);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  for (std::string bad : {"{\"marks\": {\"a\": {\"trigger\": \"cr", "[]", "not json",
                          "{\"marks\": {\"a\": {\"trigger\": 1, \"spec\": \"x\", "
                          "\"next_at\": 1}}}"}) {
    std::ofstream(path, std::ios::trunc) << bad;
    CHECK(readScheduleMarks(path).empty());
  }
  CHECK_FALSE(writeScheduleMarks((dir / "no" / "such" / "dir.json").string(), {}, 0));
  std::filesystem::remove_all(dir);
}
