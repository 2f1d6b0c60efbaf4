// Artifact references as users type them: a hash prefix, RUN:step.output or GROUP@VERSION.
// Shared by `lineage`, `cat` and `get`.
#include "artifact_ref.h"

#include "diag/diagnostic.h"

#include <iostream>

namespace mlpc::cli {

/// Resolves a lineage reference to an artifact hash; prints the error and returns "" when it
/// cannot. `header` gets a line describing what was resolved (for model versions).
std::string resolveRef(meta::MetaStore& meta, const std::string& ref, std::string& header) {
  if (auto at = ref.rfind('@'); at != std::string::npos && at > 0) {
    auto vr = parseVersionRef(ref);
    if (!vr) {
      std::cerr << "error: `" << ref << "`: a model version is GROUP@N with N = 1, 2, ...\n";
      return "";
    }
    const std::string& group = vr->group;
    int64_t n = vr->version;
    auto v = meta.getVersion(group, n);
    if (!v) {
      std::cerr << "error: " << v.error() << "\n";
      return "";
    }
    header = "model " + group + " version " + std::to_string(n) + " (" + v->status +
             "), registered by run " + v->runId + "\n";
    return v->artifactHash;
  }
  auto colon = ref.find(':');
  if (colon != std::string::npos) {
    std::string run = ref.substr(0, colon), rest = ref.substr(colon + 1);
    auto dot = rest.rfind('.');
    std::string node = dot == std::string::npos ? rest : rest.substr(0, dot);
    std::string out = dot == std::string::npos ? "" : rest.substr(dot + 1);
    if (node.empty() || (dot != std::string::npos && out.empty())) {
      std::cerr << "error: `" << ref << "`: write RUN:STEP or RUN:STEP.OUTPUT, e.g. "
                << (run.empty() ? "RUN" : run) << ":train.model\n";
      return "";
    }
    auto r = meta.getRun(run);
    if (!r) {
      std::cerr << "error: " << r.error() << "\n";
      return "";
    }
    auto ex = meta.executionsOf(r->id);
    if (!ex) {
      std::cerr << "error: " << ex.error() << "\n";
      return "";
    }
    std::vector<std::string> nodes;
    for (auto& e : *ex) {
      nodes.push_back(e.node);
      if (e.node != node) continue;
      if (e.status == meta::ExecStatus::Skipped) {
        std::cerr << "error: step `" << node << "` of run " << r->id
                  << " was skipped, so it made nothing: " << e.error << "\n";
        return "";
      }
      auto outs = meta.outputsOf(e.id);
      if (!outs) break;
      std::vector<std::string> names;
      for (auto& b : *outs) {
        names.push_back(b.name);
        if (b.name == out || (out.empty() && outs->size() == 1)) return b.artifact.hash;
      }
      std::cerr << "error: step `" << node << "` of run " << r->id << " has no output `" << out
                << "`";
      std::string all;
      for (auto& n2 : names)
        all += (all.empty() ? "" : ", ") + n2;
      std::cerr << " (its outputs: " << (all.empty() ? "none" : all) << ")\n";
      return "";
    }
    std::cerr << "error: run " << r->id << " has no step `" << node << "`";
    std::string near = closestName(node, nodes);
    if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
    std::cerr << "\n";
    return "";
  }
  auto h = meta.resolveArtifact(ref);
  if (!h) {
    std::cerr << "error: " << h.error() << "\n";
    return "";
  }
  return *h;
}

} // namespace mlpc::cli
