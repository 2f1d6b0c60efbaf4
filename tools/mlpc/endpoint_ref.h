#pragma once
// `endpoint:NAME` as a lineage reference: the model version an endpoint serves now (or served
// last), read from the workspace's deployment records (runtime/meta/deploy_log.h).
#include <optional>
#include <string>

namespace mlpc::cli {

struct EndpointVersion {
  std::string group;
  int64_t version = 0;
  std::string header; ///< what was resolved, for the top of `lineage`'s output
};

/// The version `endpoint` serves in the workspace at `wsDir`: while it is up, the live version
/// with the largest traffic share (others are named in the header); when the agent is down, the
/// version of its last deployment that succeeded. Prints the error and returns nullopt when it
/// has never been served.
std::optional<EndpointVersion> resolveEndpoint(const std::string& wsDir,
                                               const std::string& endpoint);

} // namespace mlpc::cli
