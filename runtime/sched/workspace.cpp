#include "sched/workspace.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace mlpc::sched {

std::string workspaceDir(const std::string& explicitDir, const std::string& besideDir) {
  if (!explicitDir.empty()) return fs::absolute(explicitDir).lexically_normal().string();
  if (const char* env = std::getenv("MLP_WORKSPACE"); env && *env)
    return fs::absolute(env).lexically_normal().string();
  return (fs::absolute(besideDir) / ".mlp").lexically_normal().string();
}

store::Result<Workspace> openWorkspace(const std::string& dir, bool create) {
  std::error_code ec;
  if (!create && !fs::exists(fs::path(dir) / "meta.db", ec))
    return store::fail("no workspace at " + dir + " (run a pipeline first, or pass --workspace)");
  auto st = store::Store::open(dir);
  if (!st) return store::fail("cannot open the workspace " + dir + ": " + st.error());
  auto m = meta::SqliteMetaStore::open(dir);
  if (!m) return store::fail("cannot open the metadata in " + dir + ": " + m.error());
  Workspace w;
  w.dir = dir;
  w.store = std::make_unique<store::Store>(std::move(*st));
  w.meta = std::move(*m);
  return w;
}

} // namespace mlpc::sched
