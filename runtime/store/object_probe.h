#pragma once
/// Store::has() for many objects in a row. has() looks each object up by its whole path, which
/// the kernel walks component by component from the root: a workspace under a deep directory
/// costs a dozen lookups an object. A probe holds objects/ and trees/ open and looks each object
/// up relative to them, two components. A fully cached re-run checks every output of the run it
/// repeats this way (10,000 of them in bench/runtime.sh), on a thread beside the insert of its
/// hits, which took as long.
#include "store/posix.h"
#include "store/store.h"

#include <optional>
#include <string_view>

namespace mlpc::store {

class ObjectProbe {
public:
  /// `store` must outlive the probe. A directory that cannot be opened is looked up through
  /// `store` instead, so the answers are has()'s either way.
  explicit ObjectProbe(const Store& store);
  /// The same answer as store.has(hash, kind); safe to call from several threads at once.
  bool has(std::string_view hash, std::optional<ArtifactKind> kind = std::nullopt) const;

private:
  bool in(const UniqueFd& dir, std::string_view hash) const;

  const Store& store_;
  UniqueFd objects_, trees_;
};

} // namespace mlpc::store
