#pragma once
/// What `mlpc verify` asks of the metadata: every place it refers to a stored object (so the
/// store can be checked against it, and unreferenced objects told apart), and whether the
/// metadata is consistent in itself (schema, database integrity, references between rows).
#include "meta/records.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::meta {

/// One place the metadata refers to a stored object.
struct ObjectUse {
  enum class Role {
    Output,       ///< an execution's output
    Input,        ///< an execution's input
    ModelVersion, ///< a registered model version's artifact
    Code,         ///< a code file an execution depended on (recorded by hash only)
    RunCode,      ///< a code file a run kept in the store when it started (`mlpc reproduce`)
    Artifact,     ///< a row of the artifacts table (every stored output and `data` input)
    Baseline,     ///< a monitor's baseline (statistics and constraints) of the data in `name`
  };
  Role role = Role::Artifact;
  std::string hash;
  /// The kind the reference needs; nullopt: either (a code hash, a version whose artifact row
  /// is missing).
  std::optional<store::ArtifactKind> kind;
  /// Whether the object must be in the store. An execution's code files are referenced by hash
  /// only (they protect a matching object but do not require it); the bytes a run kept of its
  /// code (RunCode) are required: `mlpc reproduce` runs them.
  bool required = true;
  std::string name; ///< the binding name, the code path, `group@N`, or the artifact's type
  std::string runId;
  std::string node; ///< the step's plan node, e.g. "train" or "train[2]"
  int64_t executionId = 0;
  bool cached = false; ///< the execution reused an earlier one's outputs
};

/// The reference in user terms: "output `model` of step `train` in run r-…".
std::string describe(const ObjectUse& use);
std::string_view toString(ObjectUse::Role role);

/// Something wrong inside the metadata itself.
struct MetaProblem {
  std::string kind;    ///< "schema", "database" (SQLite integrity) or "reference" (a dangling row)
  std::string message; ///< user terms, e.g. "model version churn@2 refers to run r-…, which does
                       ///< not exist"
};

} // namespace mlpc::meta
