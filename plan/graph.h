#pragma once
/// Drawing a plan's DAG: Graphviz dot or Mermaid. Loops and conditions are drawn as clusters; a
/// condition's `then` and `else` are clusters of their own inside it.
#include "plan/model.h"

namespace mlpc::plan {

std::string toDot(const Plan& plan);
std::string toMermaid(const Plan& plan);

} // namespace mlpc::plan
