#pragma once
/// Firings a schedule would have made while no agent ran. Ticks missed while the agent was down
/// are not made up (issue 9); the next agent counts them, says so and records them. To count,
/// each agent keeps every cron and every schedule's next firing in
/// `<workspace>/agent/schedules.json`, rewritten whenever a next firing moves and when the agent
/// stops, so after a kill -9 the file still holds the firing the agent was waiting for.
#include "plan/cron.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace mlpc::deploy {

/// What one agent knew of a schedule: its trigger ("cron" or "every"), the trigger's text (the
/// cron expression, or the period in seconds) and the next firing it was waiting for.
struct ScheduleMark {
  std::string trigger, spec;
  double nextAt = 0;
  double writtenAt = 0; ///< when the agent that left the mark last wrote it (read only)
};

/// The marks an earlier agent left; empty when there is no file or it cannot be read (a missing
/// count is better than a wrong one, and nothing here may stop the agent from starting).
std::map<std::string, ScheduleMark> readScheduleMarks(const std::string& path);

/// Writes the marks (beside the file, then renamed: a reader never sees half of it); false when
/// the file cannot be written.
bool writeScheduleMarks(const std::string& path, const std::map<std::string, ScheduleMark>& marks,
                        double writtenAt);

/// How many firings `was` would have made from its next firing up to `now` (inclusive), counted
/// up to `cap`. 0 when the trigger changed since (another expression or period: the old rhythm
/// means nothing now). `current` is the mark of the agent now starting, and `cron` its expression
/// read.
int64_t missedFirings(const ScheduleMark& was, const ScheduleMark& current,
                      const std::optional<plan::Cron>& cron, double now, int64_t cap);

} // namespace mlpc::deploy
