#pragma once
/// From an endpoint of the typed plan and the registry to the command that serves one version:
/// the endpoint's `model` expression (G.latest, G.approved, G.version(N)) is resolved against the
/// registry, and the group's `serve` server definition is rendered with the version's model file
/// and a port. Reads only the plan (plan/model.h), the registry and the object store.
#include "deploy/server_process.h"
#include "meta/meta_store.h"
#include "plan/model.h"
#include "store/store.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::deploy {

struct ResolveContext {
  std::string baseDir;                 ///< where the entry file lives
  std::vector<std::string> stdlibDirs; ///< for `@stdlib/` definition directories
  std::string workspace;
};

/// How to start an instance of one model version.
struct ServerTemplate {
  std::string group;
  int64_t version = 0;
  std::string artifact;  ///< the model's object hash
  std::string modelPath; ///< its read-only path in the store
  std::string serverKey; ///< a key of the plan's `servers`
  plan::StepDef def;
  std::string workdir;
  std::string healthPath = "/health", invokePath = "/invocations";

  /// The process to start for an instance listening on `port`; false with `error` when the
  /// definition's `run` or `env` cannot be rendered.
  bool render(int port, const std::string& logPath, SpawnRequest& out, std::string& error) const;
};

/// What `model` names, in words: "iris.latest", "iris.version(2)".
std::string describeModelExpr(const plan::Endpoint& ep);
/// The model group `model` names ("" when the expression is not a model reference).
std::string modelGroupOf(const plan::Endpoint& ep);

/// Resolves the endpoint's model (or `pinVersion` of its group) to a registered version and its
/// server. nullopt with `error` in user terms: no such group, no version that matches, no
/// `serve` for the group, the model file missing from the store.
std::optional<ServerTemplate> resolveServer(const plan::Plan& plan, const plan::Endpoint& ep,
                                            std::optional<int64_t> pinVersion,
                                            meta::MetaStore& meta, const store::Store& store,
                                            const ResolveContext& ctx, std::string& error);

} // namespace mlpc::deploy
