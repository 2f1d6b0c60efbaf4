#include "meta/headline.h"

#include "meta/metrics_json.h"

namespace mlpc::meta {

bool isIteration(const std::string& node) {
  return node.find('[') != std::string::npos;
}

Result<Headlines> Headlines::load(MetaStore& meta) {
  Headlines h(meta);
  auto groups = meta.modelGroups();
  if (!groups) return groups.err();
  for (auto& g : *groups) {
    auto vs = meta.listVersions(g);
    if (!vs) return vs.err();
    for (auto& v : *vs) {
      auto& slot = h.registeredBy_[v.runId];
      if (slot.runId.empty() || v.createdAt >= slot.createdAt) slot = v;
    }
  }
  return h;
}

Result<RunHeadline> Headlines::of(const std::string& runId) const {
  RunHeadline out;
  auto ms = meta_->metricsOf(runId);
  if (!ms) return ms.err();
  for (auto& m : *ms) {
    out.perNode[m.node][m.name] = m.value;
    if (!isIteration(m.node)) {
      out.metrics[m.name] = m.value;
      out.sourceOf[m.name] = m.node;
    }
  }
  auto it = registeredBy_.find(runId);
  if (it != registeredBy_.end()) {
    auto rows = numericMetrics(it->second.metricsJson);
    if (rows && !rows->empty()) {
      out.from = it->second.group + " version " + std::to_string(it->second.version);
      out.metrics.clear();
      out.sourceOf.clear();
      for (auto& r : *rows) {
        out.metrics[r.name] = r.value;
        out.sourceOf[r.name] = out.from;
      }
    }
  }
  return out;
}

} // namespace mlpc::meta
