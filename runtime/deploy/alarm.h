#pragma once
/// An endpoint's `rollback` expression evaluated over a fleet's live metrics (fleet_metrics.h):
/// `error_rate` in percent (as the language types it), `latency_p50/p90/p99` in seconds,
/// `requests` a count. Percent literals are their number (5% is 5), durations seconds.
#include "plan/expr.h"

#include <map>
#include <optional>
#include <string>

namespace mlpc::deploy {

/// The metric values an alarm reads, from a FleetMetrics window (error_rate as a fraction there).
std::map<std::string, double> alarmReadings(const std::map<std::string, double>& window);

/// True when the alarm trips; nullopt with `error` when the expression uses something an alarm
/// cannot evaluate.
std::optional<bool> alarmTrips(const plan::Expr& rollback,
                               const std::map<std::string, double>& readings, std::string& error);

} // namespace mlpc::deploy
