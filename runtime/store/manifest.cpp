#include "store/manifest.h"

#include "store/posix.h"
#include "store/sha256.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>

#include <fmt/format.h>

namespace mlpc::store {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

std::string_view describeType(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

Status walk(const std::string& root, const std::string& rel, std::vector<TreeFile>& out) {
  std::string dirPath = rel.empty() ? root : root + "/" + rel;
  std::unique_ptr<DIR, DirCloser> dir(::opendir(dirPath.c_str()));
  if (!dir) return osError("open directory", dirPath);
  for (;;) {
    errno = 0;
    dirent* ent = ::readdir(dir.get());
    if (!ent) {
      if (errno != 0) return osError("read directory", dirPath);
      break;
    }
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    std::string childRel = rel.empty() ? std::string(name) : rel + "/" + std::string(name);
    std::string childPath = root + "/" + childRel;
    if (name.find_first_of("\t\n") != std::string_view::npos)
      return fail(
          fmt::format("'{}': file names containing a tab or newline cannot be stored", childPath));
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      return osError("stat", childPath);
    if (S_ISDIR(st.st_mode)) {
      if (Status s = walk(root, childRel, out); !s) return s;
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({std::move(childRel), (st.st_mode & S_IXUSR) ? FileMode::Exec : FileMode::File,
                     static_cast<uint64_t>(st.st_size)});
    } else {
      return fail(fmt::format("'{}' is {}; only regular files and directories can be stored",
                              childPath, describeType(st.st_mode)));
    }
  }
  return {};
}

} // namespace

std::string_view toString(FileMode mode) {
  return mode == FileMode::Exec ? "exec" : "file";
}

std::string renderManifest(std::vector<ManifestEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  std::string out;
  for (const ManifestEntry& e : entries) {
    out += e.path;
    out += '\t';
    out += toString(e.mode);
    out += '\t';
    out += e.hash;
    out += '\n';
  }
  return out;
}

Result<std::vector<ManifestEntry>> parseManifest(std::string_view text) {
  std::vector<ManifestEntry> entries;
  size_t lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      return fail(fmt::format("manifest line {} is not terminated by a newline", lineNo));
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos)
      return fail(fmt::format("manifest line {} does not have three fields", lineNo));
    ManifestEntry e;
    e.path = line.substr(0, t1);
    std::string_view mode = line.substr(t1 + 1, t2 - t1 - 1);
    e.hash = line.substr(t2 + 1);
    if (mode == "file")
      e.mode = FileMode::File;
    else if (mode == "exec")
      e.mode = FileMode::Exec;
    else
      return fail(fmt::format("manifest line {}: unknown mode '{}'", lineNo, mode));
    if (e.path.empty() || !isSha256Hex(e.hash))
      return fail(fmt::format("manifest line {} is malformed", lineNo));
    if (!entries.empty() && !(entries.back().path < e.path))
      return fail(fmt::format("manifest line {} is out of order", lineNo));
    entries.push_back(std::move(e));
  }
  return entries;
}

Result<std::vector<TreeFile>> listTree(const std::string& dir) {
  std::vector<TreeFile> files;
  if (Status s = walk(dir, "", files); !s) return s.err();
  std::sort(files.begin(), files.end(),
            [](const TreeFile& a, const TreeFile& b) { return a.relPath < b.relPath; });
  return files;
}

Result<TreeHash> hashTree(const std::string& dir, const FileHasher& hasher) {
  Result<std::vector<TreeFile>> files = listTree(dir);
  if (!files) return files.err();
  TreeHash out;
  out.entries.reserve(files->size());
  for (TreeFile& f : *files) {
    std::string abs = dir + "/" + f.relPath;
    Result<std::string> h = hasher ? hasher(abs) : sha256File(abs);
    if (!h) return h.err();
    out.size += f.size;
    out.entries.push_back({std::move(f.relPath), f.mode, std::move(*h)});
  }
  out.manifest = renderManifest(out.entries); // entries are already sorted
  out.hash = sha256Bytes(out.manifest);
  return out;
}

} // namespace mlpc::store
