#pragma once
/// Plan expressions as short source-like text (`scores.auc >= 0.5`), for labels and messages
/// (the report's DAG, `mlpc plan`'s conditions, exporters' errors).
#include "plan/model.h"

#include <set>
#include <string>

namespace mlpc::plan {

/// `singleOutput` holds the ids of call nodes whose step has one output: the source never
/// spells out `.output` for those. Deep expressions are cut to `…`.
std::string sourceText(const Expr& e, const std::set<std::string>& singleOutput = {},
                       int depth = 0);
std::string sourceText(const ExprP& e, const std::set<std::string>& singleOutput = {},
                       int depth = 0);

/// The ids of `call` nodes (at any depth) whose step has one output, and of `transform` nodes.
std::set<std::string> singleOutputNodes(const Plan& plan);

} // namespace mlpc::plan
