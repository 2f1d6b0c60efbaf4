#pragma once
// The pipeline's DAG for `mlpc report`: a small, deterministic layered layout of a plan's nodes
// (left to right, one column per layer) drawn as inline SVG.
#include "plan/expr_text.h"
#include "plan/model.h"

#include <map>
#include <string>
#include <vector>

namespace mlpc::cli::report {

/// How a plan node fared in a run, as the DAG colours it.
struct NodeState {
  std::string status = "not-run"; ///< a statusClass(): succeeded, cached, failed, ...
  std::string note;               ///< a short third line, e.g. "1.2s" or "3× · 1 cached"
};

struct DagBox {
  std::string id;    ///< plan node id, or "data:KEY" for a data declaration
  std::string kind;  ///< call, value, for, if, register, fail, transform, data
  std::string title; ///< first line (the id)
  std::string sub;   ///< second line (step, condition, ...)
  int layer = 0;
  int row = 0;
  double x = 0, y = 0;
};

struct DagEdge {
  size_t from = 0, to = 0;
  bool contains = false; ///< a for/if holding the node (drawn dashed), not a data dependency
  std::string label;     ///< "then", "else", "each" for containment edges
  /// The route: leaving `from`, across each layer in between (through a slot of its own),
  /// into `to`; drawn as curves with horizontal tangents.
  std::vector<std::pair<double, double>> points;
};

struct DagLayout {
  std::vector<DagBox> boxes; ///< plan order: data first, then nodes depth-first
  std::vector<DagEdge> edges;
  double width = 0, height = 0;
};

/// Every node of the plan (nested ones included) and every data declaration a node reads.
/// Each node's layer is its longest path from a source over the plan's `edges`, the
/// containment of nested nodes in their for/if, and data reads; within a layer nodes keep
/// plan order, then one barycentre sweep each way reduces crossings.
DagLayout layoutDag(const plan::Plan& plan);

/// The layout as an `<svg>` element; `states` is keyed by plan node id (missing: not-run).
std::string dagSvg(const DagLayout& layout, const std::map<std::string, NodeState>& states);

} // namespace mlpc::cli::report
