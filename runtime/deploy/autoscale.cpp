// The agent's autoscaler: every second it compares each autoscaled endpoint's load with its
// target and starts or stops instances of the live fleet. New instances take traffic only once
// healthy; removed ones leave the rotation first and stop after their requests in flight, so
// scaling fails no request. Every action is recorded as an event (`scale_out`, `scale_in`,
// `scale_failed`) that `mlpc endpoints show` lists.
#include "deploy/autoscale.h"
#include "deploy/agent.h"
#include "deploy/fleet.h"

#include <chrono>

namespace mlpc::deploy {

using nlohmann::json;

double invocationsPerMinute(Fleet& fleet) {
  return fleet.metrics().requestsSince(kLoadWindowS) * 60.0 / kLoadWindowS;
}

void Agent::autoscale() {
  for (auto& e : endpoints_) {
    EndpointRt& ep = *e;
    if (!ep.def.autoscale || ep.def.mode.kind != "realtime" || ep.scaling) continue;
    std::shared_ptr<Fleet> live;
    double sinceOut = 0, sinceAny = 0;
    {
      std::lock_guard lock(mu_);
      if (ep.busy || ep.state != "InService" || !ep.live) continue;
      live = ep.live;
      double now = steadyNow();
      sinceOut = now - ep.lastScaleOutS;
      sinceAny = now - ep.lastScaleAnyS;
    }
    double perMinute = invocationsPerMinute(*live);
    int current = live->size();
    auto d = decideScale(*ep.def.autoscale, current, perMinute, sinceOut, sinceAny);
    if (!d) continue;
    if (ep.scaler.joinable()) ep.scaler.join(); // the last action's thread, already done
    ep.scaling = true;
    ep.scaler = std::thread([this, &ep, live, current, to = d->to, perMinute] {
      scale(ep, live, current, to, perMinute);
    });
  }
}

void Agent::scale(EndpointRt& ep, std::shared_ptr<Fleet> fleet, int from, int to,
                  double perMinute) {
  auto started = std::chrono::steady_clock::now();
  json detail{{"version", fleet->version()},
              {"from", from},
              {"to", to},
              {"invocations_per_minute", perMinute},
              {"per_instance", from > 0 ? perMinute / from : perMinute},
              {"target", ep.def.autoscale->target}};
  std::string error;
  bool ok = true;
  if (to > from)
    ok = fleet->grow(to, opts_.healthTimeoutS, error);
  else
    fleet->shrinkTo(to, opts_.drainS);
  detail["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!ok) detail["error"] = error;
  (void)log_.recordEvent(ep.name, std::nullopt,
                         !ok         ? "scale_failed"
                         : to > from ? "scale_out"
                                     : "scale_in",
                         detail.dump());
  {
    std::lock_guard lock(mu_);
    double now = steadyNow();
    if (to > from) ep.lastScaleOutS = now;
    ep.lastScaleAnyS = now;
  }
  ep.scaling = false;
}

json Agent::autoscaleJson(EndpointRt& ep) {
  const plan::Autoscale& a = *ep.def.autoscale;
  std::shared_ptr<Fleet> live;
  {
    std::lock_guard lock(mu_);
    live = ep.live;
  }
  double perMinute = live ? invocationsPerMinute(*live) : 0.0;
  return {{"min", a.minInstances},
          {"max", a.maxInstances},
          {"target", a.target},
          {"scale_out_cooldown_s", a.scaleOutCooldownS},
          {"scale_in_cooldown_s", a.scaleInCooldownS},
          {"instances", live ? live->size() : 0},
          {"invocations_per_minute", perMinute},
          {"desired", desiredInstances(a, perMinute)}};
}

} // namespace mlpc::deploy
