// Target tracking (runtime/deploy/autoscale.h): the instance count a load calls for, the
// cooldowns, and the load the router measures (FleetMetrics::requestsSince).
#include "deploy/autoscale.h"
#include "deploy/fleet_metrics.h"

#include <catch2/catch.hpp>

using mlpc::deploy::decideScale;
using mlpc::deploy::desiredInstances;
using mlpc::deploy::FleetMetrics;
using mlpc::plan::Autoscale;

namespace {
Autoscale policy() {
  Autoscale a;
  a.minInstances = 1;
  a.maxInstances = 4;
  a.target = 60; // one request per second per instance
  a.scaleOutCooldownS = 5;
  a.scaleInCooldownS = 30;
  return a;
}
} // namespace

TEST_CASE("the desired count carries the load at the target, within min and max",
          "[deploy][autoscale]") {
  Autoscale a = policy();
  CHECK(desiredInstances(a, 0) == 1);  // never below min
  CHECK(desiredInstances(a, 60) == 1); // exactly the target: no extra instance
  CHECK(desiredInstances(a, 61) == 2); // just above: one more
  CHECK(desiredInstances(a, 180) == 3);
  CHECK(desiredInstances(a, 100000) == 4); // never above max
  a.minInstances = 2;
  CHECK(desiredInstances(a, 0) == 2);
}

TEST_CASE("cooldowns: out after the scale-out cooldown, in after the scale-in cooldown",
          "[deploy][autoscale]") {
  Autoscale a = policy();
  const double never = 1e9;
  auto out = decideScale(a, 1, 150, never, never);
  REQUIRE(out);
  CHECK(out->direction == "out");
  CHECK(out->to == 3);
  CHECK_FALSE(decideScale(a, 1, 150, 4, 4));         // within the scale-out cooldown
  CHECK(decideScale(a, 1, 150, 5, 5));               // at its end
  CHECK_FALSE(decideScale(a, 3, 150, never, never)); // on target: nothing to do
  CHECK_FALSE(decideScale(a, 3, 0, never, 29));      // a fleet that just scaled stays
  auto in = decideScale(a, 3, 0, never, 30);
  REQUIRE(in);
  CHECK(in->direction == "in");
  CHECK(in->to == 1);
  CHECK(decideScale(a, 4, 60, 31, 31)->to == 1);
}

TEST_CASE("the load is the requests of the last seconds; crashes are not load",
          "[deploy][autoscale]") {
  FleetMetrics m(60);
  for (int i = 0; i < 25; ++i)
    m.record(i % 5 == 0, 0.01);
  m.recordCrash();
  CHECK(m.requestsSince(10) == 25);
  CHECK(m.window().at("requests") == 26); // the alarms do count the crash
}
