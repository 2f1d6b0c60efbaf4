#pragma once
// The lineage around an artifact, walked through the metadata: which execution made it, from
// which inputs, code and command (upstream), or what was made from it (downstream).
#include "meta/meta_store.h"
#include "plan/plan.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mlpc::cli {

struct LineageGraph {
  std::map<std::string, meta::ArtifactRecord> artifacts;
  std::map<int64_t, meta::ExecutionRecord> executions;
  std::map<int64_t, std::vector<meta::Binding>> inputs, outputs;
  std::map<int64_t, std::vector<meta::CodeRef>> code;
  /// artifact -> producing execution; execution -> consuming executions are implied by inputs.
  std::map<std::string, int64_t> producer;
  std::vector<std::string> roots;
};

/// Walks from `root` up (producers and their inputs) or down (consumers and their outputs).
store::Result<LineageGraph> walkLineage(meta::MetaStore& meta, const std::string& root,
                                        bool upstream, int maxDepth = 64);

std::string lineageText(const LineageGraph& g, bool upstream);
std::string lineageDot(const LineageGraph& g);
plan::Json lineageJson(const LineageGraph& g);
/// OpenLineage RunEvents (COMPLETE), one per execution, per the public spec's RunEvent shape.
plan::Json lineageOpenLineage(const LineageGraph& g);

} // namespace mlpc::cli
