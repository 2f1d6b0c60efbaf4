#pragma once
/// Drawing a plan's DAG: Graphviz dot or Mermaid. Loops and branches are drawn as clusters.
#include "plan/model.h"

namespace mlpc::plan {

std::string toDot(const Plan& plan);
std::string toMermaid(const Plan& plan);

} // namespace mlpc::plan
