#pragma once
/// Finding and opening a workspace: `.mlp/` beside the entry file, or --workspace, or
/// $MLP_WORKSPACE. Opening creates the store directories and the metadata database.
#include "meta/sqlite_meta_store.h"
#include "store/store.h"
#include "store/workspace_lock.h"

#include <memory>
#include <optional>
#include <string>

namespace mlpc::sched {

struct Workspace {
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<meta::MetaStore> meta;
  /// Held shared by a workspace opened for writing (`create`), so `mlpc verify --repair` never
  /// removes an object this process has stored but not yet recorded (store/workspace_lock.h).
  std::optional<store::WorkspaceLock> writerLock;
};

/// `explicitDir` (from --workspace) wins, then $MLP_WORKSPACE, then `<besideDir>/.mlp`.
std::string workspaceDir(const std::string& explicitDir, const std::string& besideDir);

/// Opens (creating when `create`) the workspace; an error names the directory and the cause.
/// With `create` it also takes the workspace lock shared, waiting while a repair holds it.
store::Result<Workspace> openWorkspace(const std::string& dir, bool create);

} // namespace mlpc::sched
