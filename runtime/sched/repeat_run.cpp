#include "sched/repeat_run.h"

namespace mlpc::sched {

namespace {

bool nodesMayRepeat(const std::vector<plan::Node>& nodes) {
  for (const plan::Node& n : nodes) {
    if (n.kind() == plan::NodeKind::Register || n.kind() == plan::NodeKind::Transform) return false;
    for (const std::vector<plan::Node>* inner : n.children())
      if (!nodesMayRepeat(*inner)) return false;
  }
  return true;
}

/// A resource the machine may not have: the full run checks it per call before it looks the
/// step up, and fails the step (sched/executor.cpp, prepareCall).
bool resourceMayFail(const plan::Prop& p, double available) {
  if (p.isExpr()) return true;
  if (!p.plain.is_number()) return false;
  double asked = p.plain.get<double>();
  return asked > 0 && (available <= 0 || asked > available);
}

} // namespace

bool planMayRepeat(const plan::Plan& plan, const RunOptions& opts) {
  if (!opts.repeatRuns || opts.dryRun || opts.noCache || !opts.registerVersions ||
      !opts.dataOverrides.empty() || !opts.reproductionOf.empty())
    return false;
  for (const auto& [key, def] : plan.steps) {
    (void)key;
    if (def.isServer) continue;
    if (def.cache.enabled.isExpr() || def.cache.expireS.isExpr() ||
        !def.cache.expireS.plain.is_null() ||
        (!def.cache.enabled.plain.is_null() && def.cache.enabled.plain != true))
      return false;
    if (!opts.clusterResources && (resourceMayFail(def.resources.gpu, 0) ||
                                   resourceMayFail(def.resources.memoryBytes, opts.memoryBytes)))
      return false;
  }
  return nodesMayRepeat(plan.nodes);
}

} // namespace mlpc::sched
