#include "store/temp_dir.h"

#include "store/fs_util.h"
#include "store/posix.h"

#include <cstdlib>
#include <vector>

namespace mlpc::store {

Result<ScopedTempDir> ScopedTempDir::create(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return osError("create temporary directory", tmpl);
  return ScopedTempDir(std::string(buf.data()));
}

ScopedTempDir::~ScopedTempDir() {
  if (!path_.empty()) (void)removeTree(path_);
}

} // namespace mlpc::store
