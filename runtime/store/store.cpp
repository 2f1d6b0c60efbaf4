#include "store/store.h"

#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/posix.h"
#include "store/sha256.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

namespace mlpc::store {
namespace {

constexpr mode_t kObjectFileMode = 0444;
constexpr mode_t kObjectExecMode = 0555;
constexpr mode_t kObjectDirMode = 0555;
constexpr const char* kManifestName = "manifest";
constexpr const char* kRootName = "root";

mode_t objectMode(FileMode mode) {
  return mode == FileMode::Exec ? kObjectExecMode : kObjectFileMode;
}

Error storing(const std::string& src, const Error& e) {
  return fail(fmt::format("cannot store '{}': {}", src, e.message));
}

Error badHash(std::string_view hash) {
  return fail(fmt::format("'{}' is not an object name (64 lower-case hex characters)", hash));
}

Result<UniqueFd> createExclusive(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return osError("create", path);
  return fd;
}

Result<UniqueFd> openForRead(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return osError("open", path);
  return fd;
}

/// Copies `in` to `out`, returning the byte count. With a hasher the bytes pass through our
/// buffer (one read serves both); without one the kernel copies (a reflink where supported).
Result<uint64_t> copyData(int in, std::string_view inPath, int out, std::string_view outPath,
                          Sha256* hasher) {
  (void)::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t total = 0;
  if (!hasher) {
    for (;;) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size_t{1} << 30, 0);
      if (n > 0) {
        total += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) return total;
      if (errno == EINTR) continue;
      // Offsets advanced with the copied bytes, so the loop below carries on from there.
      if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) break;
      return osError("write", outPath);
    }
  }
  char* buf = scratchBuffer();
  for (;;) {
    ssize_t n = ::read(in, buf, kHashBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      return osError("read", inPath);
    }
    if (n == 0) return total;
    if (hasher) hasher->update(buf, static_cast<size_t>(n));
    if (!writeAll(out, buf, static_cast<size_t>(n))) return osError("write", outPath);
    total += static_cast<uint64_t>(n);
  }
}

/// Makes `dir` and every directory below it read-only, deepest first. Empty directories below
/// `dir` are removed instead: they are not content (see manifest.h), and keeping them would
/// make two puts of the same content differ.
Status sealTree(const std::string& dir, bool isTop) {
  std::vector<std::string> subdirs;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return osError("open directory", dir);
    for (dirent* ent; (ent = ::readdir(d.get())) != nullptr;) {
      std::string_view name = ent->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(d.get()), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return osError("stat", dir + "/" + std::string(name));
      if (S_ISDIR(st.st_mode)) subdirs.push_back(dir + "/" + std::string(name));
    }
  }
  for (const std::string& sub : subdirs)
    if (Status s = sealTree(sub, false); !s) return s;
  if (!isTop && ::rmdir(dir.c_str()) == 0) return {};
  if (::chmod(dir.c_str(), kObjectDirMode) != 0) return osError("make read-only", dir);
  return {};
}

/// Copies the regular files of `src` into `dest`, which must not exist yet; on failure `dest`
/// is removed again.
Status copyTree(const std::string& src, const std::string& dest, mode_t fileMode, mode_t execMode) {
  Result<std::vector<TreeFile>> files = listTree(src);
  if (!files) return files.err();
  if (::mkdir(dest.c_str(), 0755) != 0) return osError("create directory", dest);
  auto copyAll = [&]() -> Status {
    for (const TreeFile& f : *files) {
      std::string from = src + "/" + f.relPath;
      std::string to = dest + "/" + f.relPath;
      if (size_t slash = f.relPath.rfind('/'); slash != std::string::npos)
        if (Status s = ensureDirs(dest + "/" + f.relPath.substr(0, slash)); !s) return s;
      Result<UniqueFd> in = openForRead(from);
      if (!in) return in.err();
      Result<UniqueFd> out = createExclusive(to);
      if (!out) return out.err();
      if (Result<uint64_t> n = copyData(in->get(), from, out->get(), to, nullptr); !n)
        return n.err();
      if (::fchmod(out->get(), f.mode == FileMode::Exec ? execMode : fileMode) != 0)
        return osError("chmod", to);
    }
    return {};
  };
  Status s = copyAll();
  if (!s) (void)removeTree(dest);
  return s;
}

double nowSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Result<std::vector<std::string>> entryNames(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return names;
    return osError("open directory", dir);
  }
  for (dirent* ent; (ent = ::readdir(d.get())) != nullptr;) {
    std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

/// How cleanTmp judges a staging entry. `fd` keeps the entry's lock (when one was taken).
struct TmpJudgement {
  bool exists = false;
  bool abandoned = false;
  double age = 0;
  UniqueFd fd;
};

TmpJudgement judgeTmpEntry(const std::string& p, double graceSeconds, double now) {
  constexpr double kUnlockableAge = 3600; // seconds
  TmpJudgement j;
  // O_NONBLOCK: opening a stray FIFO must not hang the cleaner.
  j.fd = UniqueFd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!j.fd.valid() && errno == ENOENT) return j;
  bool lockable = j.fd.valid();
  bool live = false;
  if (lockable && ::flock(j.fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) live = true; // a live put owns it
    lockable = false;
  }
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return j;
  j.exists = true;
  j.age = now -
          (static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9);
  j.abandoned = !live && j.age >= (lockable ? graceSeconds : kUnlockableAge);
  return j;
}

} // namespace

std::string_view toString(ArtifactKind kind) {
  return kind == ArtifactKind::Dir ? "dir" : "file";
}

std::optional<ArtifactKind> parseArtifactKind(std::string_view text) {
  if (text == "file") return ArtifactKind::File;
  if (text == "dir") return ArtifactKind::Dir;
  return std::nullopt;
}

Result<Store> Store::open(const std::string& workspaceDir) {
  std::string ws = workspaceDir;
  while (ws.size() > 1 && ws.back() == '/')
    ws.pop_back();
  if (ws.empty()) return fail("the workspace directory is empty");
  for (const char* sub : {"", "/objects", "/trees", "/tmp"})
    if (Status s = ensureDirs(ws + sub); !s)
      return fail(fmt::format("cannot open the store in '{}': {}", ws, s.error()));
  // Canonical and absolute: object paths are handed out (and symlinked to) from anywhere.
  char* real = ::realpath(ws.c_str(), nullptr);
  if (!real) return osError("resolve", ws);
  std::string canonical(real);
  std::free(real);
  return Store(std::move(canonical));
}

std::string Store::filePath(std::string_view hash) const {
  return fmt::format("{}/objects/{}/{}", workspace_, hash.substr(0, 2), hash);
}

std::string Store::treePath(std::string_view hash) const {
  return fmt::format("{}/trees/{}/{}", workspace_, hash.substr(0, 2), hash);
}

StagedPut::StagedPut(StagedPut&& other) noexcept
    : artifact_(std::move(other.artifact_)), source_(std::move(other.source_)),
      staging_(std::move(other.staging_)), target_(std::move(other.target_)),
      sourceMode_(other.sourceMode_), moved_(other.moved_), removeSource_(other.removeSource_),
      done_(other.done_), fd_(std::move(other.fd_)) {
  other.done_ = true; // nothing left for the moved-from one to undo
}

StagedPut::~StagedPut() {
  undo();
}

void StagedPut::undo() {
  if (done_) return;
  done_ = true;
  if (moved_) {
    (void)::fchmod(fd_.get(), static_cast<mode_t>(sourceMode_ & 07777));
    (void)::rename(staging_.c_str(), source_.c_str());
  } else {
    ::unlink(staging_.c_str());
  }
  fd_.reset();
}

Result<StagedPut> Store::stage(const std::string& path, bool move) const {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return storing(path, osError("stat", path));
  if (S_ISREG(st.st_mode)) {
    Result<StagedPut> staged = stageFile(path, st.st_mode, move);
    if (!staged) return storing(path, staged.err());
    return staged;
  }
  if (!S_ISDIR(st.st_mode))
    return fail(fmt::format("cannot store '{}': it is not a regular file or directory", path));
  // Storing a directory that holds the workspace would copy (or move) the store into itself.
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    std::string src(real);
    std::free(real);
    if (src == "/" || (workspace_ + "/").starts_with(src + "/"))
      return fail(
          fmt::format("cannot store '{}': it contains the workspace '{}'", path, workspace_));
  }
  Result<Artifact> stored = putDir(path, move);
  if (!stored) return storing(path, stored.err());
  StagedPut done;
  done.artifact_ = std::move(*stored);
  done.source_ = path;
  done.done_ = true;
  return done;
}

Result<Artifact> Store::finish(StagedPut& s) const {
  if (s.done_) return s.artifact_;
  auto undo = [&](const Error& e) -> Error {
    s.undo();
    return storing(s.source_, e);
  };
  if (::fsync(s.fd_.get()) != 0) return undo(osError("fsync", s.staging_));
  if (Status c = commit(s.staging_, s.target_, false); !c) return undo(c.err());
  if (s.removeSource_) (void)::unlink(s.source_.c_str());
  s.done_ = true;
  s.fd_.reset();
  return s.artifact_;
}

Result<Artifact> Store::put(const std::string& path, bool move) const {
  Result<StagedPut> staged = stage(path, move);
  if (!staged) return staged.err();
  return finish(*staged);
}

Status Store::commit(const std::string& staging, const std::string& target, bool isDir) const {
  std::string shard = target.substr(0, target.rfind('/'));
  struct stat st {};
  if (::stat(shard.c_str(), &st) != 0) {
    if (Status s = ensureDir(shard); !s) return s;
    // The new shard's own entry must be durable before the object inside it can be.
    if (Status s = fsyncDir(shard.substr(0, shard.rfind('/'))); !s) return s;
  }
  // Dedupe: the same bytes are already stored, so the staged copy is simply dropped.
  if (::lstat(target.c_str(), &st) == 0) return removeTree(staging);
  int err = renameNoReplace(staging, target, isDir);
  if (err == EEXIST || err == ENOTEMPTY) return removeTree(staging); // lost a race: same bytes
  if (err != 0) return osError("rename into", target, err);
  return fsyncDir(shard);
}

Result<StagedPut> Store::stageFile(const std::string& src, unsigned srcMode, bool move) const {
  FileMode mode = (srcMode & S_IXUSR) ? FileMode::Exec : FileMode::File;
  StagedPut s;
  s.source_ = src;
  s.sourceMode_ = srcMode;
  s.staging_ = tmpDir() + "/" + uniqueName();

  if (move) {
    Result<UniqueFd> fd = openForRead(src);
    if (!fd) return fd.err();
    // The lock follows the inode through the rename and tells cleanTmp it is in use.
    (void)::flock(fd->get(), LOCK_EX | LOCK_NB);
    if (::rename(src.c_str(), s.staging_.c_str()) == 0) {
      s.moved_ = true;
      s.fd_ = std::move(*fd);
      // From here on, an error returns `s` to be destroyed, which renames the source back.
      Result<std::string> hash = sha256Fd(s.fd_.get(), s.staging_);
      if (!hash) return hash.err();
      struct stat st {};
      if (::fstat(s.fd_.get(), &st) != 0) return osError("stat", s.staging_);
      if (::fchmod(s.fd_.get(), objectMode(mode)) != 0) return osError("chmod", s.staging_);
      s.target_ = filePath(*hash);
      s.artifact_ = {std::move(*hash), ArtifactKind::File, static_cast<uint64_t>(st.st_size)};
      return s;
    }
    if (errno != EXDEV) return osError("move into the store's tmp/", src);
    // Another filesystem: copy, then remove the source once stored.
    s.removeSource_ = true;
  }

  Result<UniqueFd> in = openForRead(src);
  if (!in) return in.err();
  Result<UniqueFd> out = createExclusive(s.staging_);
  if (!out) return out.err();
  s.fd_ = std::move(*out);
  (void)::flock(s.fd_.get(), LOCK_EX);
  // From here on, an error returns `s` to be destroyed, which removes the staged copy.
  Sha256 hasher;
  Result<uint64_t> size = copyData(in->get(), src, s.fd_.get(), s.staging_, &hasher);
  if (!size) return size.err();
  if (::fchmod(s.fd_.get(), objectMode(mode)) != 0) return osError("chmod", s.staging_);
  std::string hash = hasher.finishHex();
  s.target_ = filePath(hash);
  s.artifact_ = {std::move(hash), ArtifactKind::File, *size};
  return s;
}

Result<Artifact> Store::putDir(const std::string& src, bool move) const {
  // Validate before anything is created or moved: a symlink deep inside fails the put cleanly.
  Result<std::vector<TreeFile>> files = listTree(src);
  if (!files) return files.err();

  std::string staging = tmpDir() + "/" + uniqueName();
  if (::mkdir(staging.c_str(), 0755) != 0) return osError("create directory", staging);
  UniqueFd lock(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock.valid()) {
    Error e = osError("open directory", staging);
    ::rmdir(staging.c_str());
    return e;
  }
  (void)::flock(lock.get(), LOCK_EX);
  std::string root = staging + "/" + kRootName;
  bool moved = false;
  auto abandon = [&](Error e) -> Error {
    if (moved) {
      (void)::chmod(root.c_str(), 0755); // renaming a directory rewrites its ".." entry
      (void)::rename(root.c_str(), src.c_str());
    }
    (void)removeTree(staging);
    return e;
  };

  if (move) {
    if (::rename(src.c_str(), root.c_str()) == 0)
      moved = true;
    else if (errno != EXDEV)
      return abandon(osError("move into the store's tmp/", src));
  }
  if (!moved && ::mkdir(root.c_str(), 0755) != 0) return abandon(osError("create directory", root));

  std::vector<ManifestEntry> entries;
  entries.reserve(files->size());
  uint64_t total = 0;
  std::string lastParent;
  for (TreeFile& f : *files) {
    std::string dst = root + "/" + f.relPath;
    std::string hash;
    if (moved) {
      Result<UniqueFd> fd = openForRead(dst);
      if (!fd) return abandon(fd.err());
      struct stat st {};
      if (::fstat(fd->get(), &st) != 0) return abandon(osError("stat", dst));
      Result<std::string> h = sha256Fd(fd->get(), dst);
      if (!h) return abandon(h.err());
      if (::fchmod(fd->get(), objectMode(f.mode)) != 0) return abandon(osError("chmod", dst));
      hash = std::move(*h);
      total += static_cast<uint64_t>(st.st_size);
    } else {
      if (size_t slash = f.relPath.rfind('/'); slash != std::string::npos) {
        std::string parent = root + "/" + f.relPath.substr(0, slash);
        if (parent != lastParent) {
          if (Status s = ensureDirs(parent); !s) return abandon(s.err());
          lastParent = std::move(parent);
        }
      }
      std::string from = src + "/" + f.relPath;
      Result<UniqueFd> in = openForRead(from);
      if (!in) return abandon(in.err());
      Result<UniqueFd> out = createExclusive(dst);
      if (!out) return abandon(out.err());
      Sha256 hasher;
      Result<uint64_t> n = copyData(in->get(), from, out->get(), dst, &hasher);
      if (!n) return abandon(n.err());
      if (::fchmod(out->get(), objectMode(f.mode)) != 0) return abandon(osError("chmod", dst));
      hash = hasher.finishHex();
      total += *n;
    }
    entries.push_back({std::move(f.relPath), f.mode, std::move(hash)});
  }

  std::string manifest = renderManifest(std::move(entries));
  std::string hash = sha256Bytes(manifest);
  std::string manifestPath = staging + "/" + kManifestName;
  {
    Result<UniqueFd> out = createExclusive(manifestPath);
    if (!out) return abandon(out.err());
    if (!writeAll(out->get(), manifest.data(), manifest.size()))
      return abandon(osError("write", manifestPath));
    if (::fchmod(out->get(), kObjectFileMode) != 0) return abandon(osError("chmod", manifestPath));
  }
  if (Status s = sealTree(root, true); !s) return abandon(s.err());
  // One syncfs instead of an fsync per file: a tree can hold thousands of files, and a single
  // flush of the filesystem costs about as much as one fsync.
  if (::syncfs(lock.get()) != 0) return abandon(osError("sync", staging));
  if (Status s = commit(staging, treePath(hash), true); !s) return abandon(s.err());
  if (move && !moved) (void)removeTree(src);
  return Artifact{std::move(hash), ArtifactKind::Dir, total};
}

Result<ArtifactKind> Store::locate(std::string_view hash, std::optional<ArtifactKind> kind) const {
  if (!isSha256Hex(hash)) return badHash(hash);
  struct stat st {};
  if (kind != ArtifactKind::File && ::lstat(treePath(hash).c_str(), &st) == 0)
    return ArtifactKind::Dir;
  if (kind != ArtifactKind::Dir && ::lstat(filePath(hash).c_str(), &st) == 0)
    return ArtifactKind::File;
  return fail(fmt::format("{} {} is not in the store ({})", kind ? toString(*kind) : "object", hash,
                          workspace_));
}

bool Store::has(std::string_view hash, std::optional<ArtifactKind> kind) const {
  return locate(hash, kind).ok();
}

Result<std::string> Store::path(std::string_view hash, std::optional<ArtifactKind> kind) const {
  Result<ArtifactKind> k = locate(hash, kind);
  if (!k) return k.err();
  return *k == ArtifactKind::Dir ? treePath(hash) + "/" + kRootName : filePath(hash);
}

Result<Artifact> Store::stat(std::string_view hash, std::optional<ArtifactKind> kind) const {
  Result<ArtifactKind> k = locate(hash, kind);
  if (!k) return k.err();
  Artifact a{std::string(hash), *k, 0};
  if (*k == ArtifactKind::File) {
    struct stat st {};
    if (::stat(filePath(hash).c_str(), &st) != 0) return osError("stat", filePath(hash));
    a.size = static_cast<uint64_t>(st.st_size);
  } else {
    Result<std::vector<TreeFile>> files = listTree(treePath(hash) + "/" + kRootName);
    if (!files) return files.err();
    for (const TreeFile& f : *files)
      a.size += f.size;
  }
  return a;
}

Result<bool> Store::verify(std::string_view hash, std::optional<ArtifactKind> kind) const {
  Result<ArtifactKind> k = locate(hash, kind);
  if (!k) return k.err();
  if (*k == ArtifactKind::File) {
    Result<std::string> h = sha256File(filePath(hash));
    if (!h) return h.err();
    return *h == hash;
  }
  std::string dir = treePath(hash);
  std::string manifestPath = dir + "/" + kManifestName;
  Result<UniqueFd> fd = openForRead(manifestPath);
  if (!fd) return fd.err();
  Result<std::string> manifestHash = sha256Fd(fd->get(), manifestPath);
  if (!manifestHash) return manifestHash.err();
  if (*manifestHash != hash) return false;
  Result<TreeHash> tree = hashTree(dir + "/" + kRootName);
  if (!tree) return tree.err();
  return tree->hash == hash;
}

Result<std::string> Store::materialize(std::string_view hash, const std::string& dest,
                                       MaterializeMode mode,
                                       std::optional<ArtifactKind> kind) const {
  Result<ArtifactKind> k = locate(hash, kind);
  if (!k) return k.err();
  Result<std::string> src = path(hash, *k);
  if (!src) return src.err();
  if (mode == MaterializeMode::Symlink) {
    if (::symlink(src->c_str(), dest.c_str()) != 0) return osError("create symlink", dest);
    return dest;
  }
  if (*k == ArtifactKind::Dir) {
    if (Status s = copyTree(*src, dest, 0644, 0755); !s) return s.err();
    return dest;
  }
  struct stat st {};
  if (::stat(src->c_str(), &st) != 0) return osError("stat", *src);
  Result<UniqueFd> in = openForRead(*src);
  if (!in) return in.err();
  Result<UniqueFd> out = createExclusive(dest);
  if (!out) return out.err();
  Result<uint64_t> n = copyData(in->get(), *src, out->get(), dest, nullptr);
  if (!n || ::fchmod(out->get(), (st.st_mode & S_IXUSR) ? 0755 : 0644) != 0) {
    Error e = n ? osError("chmod", dest) : n.err();
    ::unlink(dest.c_str());
    return e;
  }
  return dest;
}

Result<size_t> Store::cleanTmp(std::chrono::seconds grace) const {
  Result<std::vector<std::string>> names = entryNames(tmpDir());
  if (!names) return names.err();
  size_t removed = 0;
  std::optional<Error> firstError;
  double now = nowSeconds();
  for (const std::string& name : *names) {
    std::string p = tmpDir() + "/" + name;
    // The judgement holds the entry's lock (when it could take it) until it is removed.
    TmpJudgement j = judgeTmpEntry(p, static_cast<double>(grace.count()), now);
    if (!j.exists || !j.abandoned) continue;
    if (Status s = removeTree(p); !s) {
      if (!firstError) firstError = s.err();
      continue;
    }
    ++removed;
  }
  if (firstError) return *firstError;
  return removed;
}

Result<std::vector<TmpEntry>> Store::scanTmp(std::chrono::seconds grace) const {
  Result<std::vector<std::string>> names = entryNames(tmpDir());
  if (!names) return names.err();
  std::vector<TmpEntry> out;
  double now = nowSeconds();
  for (const std::string& name : *names) {
    TmpJudgement j = judgeTmpEntry(tmpDir() + "/" + name, static_cast<double>(grace.count()), now);
    if (j.exists) out.push_back({name, j.age, j.abandoned});
  }
  std::sort(out.begin(), out.end(),
            [](const TmpEntry& a, const TmpEntry& b) { return a.name < b.name; });
  return out;
}

Result<StoreListing> Store::list() const {
  StoreListing out;
  for (ArtifactKind kind : {ArtifactKind::File, ArtifactKind::Dir}) {
    std::string top = workspace_ + (kind == ArtifactKind::File ? "/objects" : "/trees");
    Result<std::vector<std::string>> shards = entryNames(top);
    if (!shards) return shards.err();
    std::sort(shards->begin(), shards->end());
    for (const std::string& shard : *shards) {
      std::string shardPath = top + "/" + shard;
      struct stat st {};
      if (::lstat(shardPath.c_str(), &st) != 0) continue;
      bool shardName = shard.size() == 2 && isSha256Hex(shard + std::string(62, '0'));
      if (!S_ISDIR(st.st_mode) || !shardName) {
        out.strays.push_back({shardPath, "it is not a shard directory (two hex digits)"});
        continue;
      }
      Result<std::vector<std::string>> names = entryNames(shardPath);
      if (!names) return names.err();
      std::sort(names->begin(), names->end());
      for (const std::string& name : *names) {
        std::string p = shardPath + "/" + name;
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (!isSha256Hex(name)) {
          out.strays.push_back({p, "its name is not a SHA-256"});
          continue;
        }
        if (!name.starts_with(shard)) {
          out.strays.push_back({p, "it is in the wrong shard directory"});
          continue;
        }
        if (kind == ArtifactKind::File && !S_ISREG(st.st_mode)) {
          out.strays.push_back({p, "a stored file object is not a regular file"});
          continue;
        }
        if (kind == ArtifactKind::Dir) {
          if (!S_ISDIR(st.st_mode)) {
            out.strays.push_back({p, "a stored directory object is not a directory"});
            continue;
          }
          // Exactly `manifest` and `root/`; anything else was not put there by the store.
          // (Missing parts show when the object is verified.)
          Result<std::vector<std::string>> parts = entryNames(p);
          if (!parts) return parts.err();
          for (const std::string& part : *parts)
            if (part != kManifestName && part != kRootName)
              out.strays.push_back({p + "/" + part, "a stored directory object holds only "
                                                    "`manifest` and `root/`"});
        }
        out.objects.push_back({name, kind});
      }
    }
  }
  return out;
}

Status Store::remove(std::string_view hash, ArtifactKind kind) const {
  if (!isSha256Hex(hash)) return badHash(hash);
  std::string target = kind == ArtifactKind::Dir ? treePath(hash) : filePath(hash);
  std::string staging = tmpDir() + "/" + uniqueName();
  if (::rename(target.c_str(), staging.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return osError("move out of the store", target);
  }
  return removeTree(staging);
}

} // namespace mlpc::store
