#pragma once
/// A run's headline metrics: what `runs --sort`, `show`, `compare` and the report present as
/// "the run's" value of a metric. A sweep records one value per candidate (`scores[0].f1`,
/// `scores[1].f1`, …); taking the last one recorded would present a losing candidate as the
/// run's result. So:
///   1. a run that registered a model version with metrics is headlined by that version's
///      metrics (nested records by dotted path) — the winner it chose;
///   2. otherwise by the metrics of its steps outside any loop (node names without `[i]`);
///   3. metrics of steps inside loops are never a headline: they stay per iteration, under the
///      node that recorded them (`perNode`).
#include "meta/meta_store.h"

#include <map>
#include <string>
#include <vector>

namespace mlpc::meta {

struct RunHeadline {
  /// "GROUP version N" when the metrics are a registered version's, "" when they are steps'.
  std::string from;
  std::map<std::string, double> metrics;
  /// Where each headline metric comes from: "GROUP version N" or the step's node.
  std::map<std::string, std::string> sourceOf;
  /// Every recorded metric by node (`scores[2]` → {f1: …}), loops included, in node order.
  std::map<std::string, std::map<std::string, double>> perNode;
};

/// Reads the registry once, then answers for any number of runs.
class Headlines {
public:
  /// Fails only when the registry cannot be read.
  static Result<Headlines> load(MetaStore& meta);
  Result<RunHeadline> of(const std::string& runId) const;

private:
  explicit Headlines(MetaStore& meta) : meta_(&meta) {}
  MetaStore* meta_;
  std::map<std::string, ModelVersion> registeredBy_; ///< run id → the last version it registered
};

/// Whether a node name is an iteration of a loop (`scores[0]`, `m[1][2]`).
bool isIteration(const std::string& node);

} // namespace mlpc::meta
