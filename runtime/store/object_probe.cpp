#include "store/object_probe.h"

#include "store/sha256.h"

#include <fcntl.h>
#include <string>
#include <sys/stat.h>

namespace mlpc::store {

namespace {
UniqueFd openDir(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}
} // namespace

ObjectProbe::ObjectProbe(const Store& store)
    : store_(store), objects_(openDir(store.workspace() + "/objects")),
      trees_(openDir(store.workspace() + "/trees")) {}

bool ObjectProbe::in(const UniqueFd& dir, std::string_view hash) const {
  // "ab/ab…": the shard, then the object, as Store::filePath and treePath lay them out.
  char rel[2 + 1 + 64 + 1];
  rel[0] = hash[0];
  rel[1] = hash[1];
  rel[2] = '/';
  hash.copy(rel + 3, hash.size());
  rel[3 + hash.size()] = '\0';
  struct stat st {};
  return ::fstatat(dir.get(), rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool ObjectProbe::has(std::string_view hash, std::optional<ArtifactKind> kind) const {
  if (!objects_.valid() || !trees_.valid()) return store_.has(hash, kind);
  if (!isSha256Hex(hash)) return false;
  // A directory wins over a file of the same hash, as in Store::locate.
  if (kind != ArtifactKind::File && in(trees_, hash)) return true;
  return kind != ArtifactKind::Dir && in(objects_, hash);
}

} // namespace mlpc::store
