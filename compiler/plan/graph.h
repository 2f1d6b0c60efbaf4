#pragma once
/// Drawing a plan's DAG: Graphviz dot or Mermaid. Loops and branches are drawn as clusters.
#include "plan/plan.h"

namespace mlpc::plan {

std::string toDot(const Json& plan);
std::string toMermaid(const Json& plan);

} // namespace mlpc::plan
