#pragma once
/// Finding and opening a workspace: `.mlp/` beside the entry file, or --workspace, or
/// $MLP_WORKSPACE. Opening creates the store directories and the metadata database.
#include "meta/sqlite_meta_store.h"
#include "store/store.h"

#include <memory>
#include <string>

namespace mlpc::sched {

struct Workspace {
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<meta::MetaStore> meta;
};

/// `explicitDir` (from --workspace) wins, then $MLP_WORKSPACE, then `<besideDir>/.mlp`.
std::string workspaceDir(const std::string& explicitDir, const std::string& besideDir);

/// Opens (creating when `create`) the workspace; an error names the directory and the cause.
store::Result<Workspace> openWorkspace(const std::string& dir, bool create);

} // namespace mlpc::sched
