#pragma once
/// Target tracking for realtime endpoints with `autoscale` (SageMaker's meaning): the fleet is
/// sized so that each instance gets about `target` invocations per minute, within min..max.
/// The load is the router's count of the fleet's requests over the last `kLoadWindowS` seconds,
/// scaled to a minute, so a fleet follows a change of load within seconds, not SageMaker's
/// minutes of CloudWatch datapoints.
#include "plan/model.h"

#include <optional>
#include <string>

namespace mlpc::deploy {

inline constexpr double kLoadWindowS = 10;

class Fleet;
/// A fleet's load: its requests over the last kLoadWindowS seconds, scaled to a minute.
double invocationsPerMinute(Fleet& fleet);

/// How many instances carry `perMinute` invocations at `target` each, within min..max.
int desiredInstances(const plan::Autoscale& a, double perMinute);

struct ScaleDecision {
  int to = 0;
  std::string direction; ///< "out" or "in"
};

/// Whether to scale a fleet of `current` instances under `perMinute` invocations now.
/// `sinceScaleOutS` / `sinceAnyScaleS`: seconds since the last scale-out / scaling action of
/// either kind (a large number when there was none). Scaling out waits for the scale-out
/// cooldown after a scale-out; scaling in waits for the scale-in cooldown after any action, so a
/// fleet that just grew is not shrunk by the next quiet second.
std::optional<ScaleDecision> decideScale(const plan::Autoscale& a, int current, double perMinute,
                                         double sinceScaleOutS, double sinceAnyScaleS);

} // namespace mlpc::deploy
