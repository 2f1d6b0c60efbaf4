#pragma once
/// The numeric and bool properties of a step or server (`resources`, `retry`, `timeout`,
/// `cache`) for one call. In the plan each is a plain value when constant in the source, or
/// `{"expr": E, "type": T, "range": R}` when it reads the step's parameters; both are
/// evaluated here, per call, against the call's argument values, and checked against the same
/// range table the checker uses (plan/property_rules.h).
#include "plan/model.h"
#include "sched/values.h"

#include <optional>
#include <string>

namespace mlpc::sched {

struct StepProps {
  double cpu = 1;
  double memoryBytes = 0; ///< 0: not requested
  long long gpu = 0;
  int attempts = 1;
  double backoffSeconds = 0;
  double timeoutSeconds = 0; ///< 0: none
  bool cacheEnabled = true;
  std::optional<double> expireSeconds; ///< nullopt: cached results never expire
};

/// Evaluates the properties of `def` (a plan's step or server definition) for a call with
/// argument values `args`. A value that cannot be computed, has the wrong kind or is out of
/// range gives nullopt, with `error` naming the property, its value and where it is written,
/// e.g. "`retry.attempts` is 0, and must be at least 1 (steps.mlp:7:23-7:24)".
std::optional<StepProps> evaluateStepProps(const plan::StepDef& def, const Json& args,
                                           std::string& error);

} // namespace mlpc::sched
