#include "deploy/autoscale.h"

#include <algorithm>
#include <cmath>

namespace mlpc::deploy {

int desiredInstances(const plan::Autoscale& a, double perMinute) {
  // A small tolerance keeps a load of exactly N targets at N instances despite rounding.
  double need = std::ceil(perMinute / a.target - 1e-9);
  return static_cast<int>(
      std::clamp(need, static_cast<double>(a.minInstances), static_cast<double>(a.maxInstances)));
}

std::optional<ScaleDecision> decideScale(const plan::Autoscale& a, int current, double perMinute,
                                         double sinceScaleOutS, double sinceAnyScaleS) {
  int want = desiredInstances(a, perMinute);
  if (want > current && sinceScaleOutS >= a.scaleOutCooldownS) return ScaleDecision{want, "out"};
  if (want < current && sinceAnyScaleS >= a.scaleInCooldownS) return ScaleDecision{want, "in"};
  return std::nullopt;
}

} // namespace mlpc::deploy
