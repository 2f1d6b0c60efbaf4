#pragma once
// Artifact references as users type them: a hash prefix, RUN:step.output or GROUP@VERSION.
#include "history_support.h"

#include <string>

namespace mlpc::cli {

/// Resolves a reference to an artifact hash; prints the error and returns "" when it cannot.
/// `header` gets a line describing what was resolved (for model versions).
std::string resolveRef(meta::MetaStore& meta, const std::string& ref, std::string& header);

} // namespace mlpc::cli
