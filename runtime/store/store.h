#pragma once
/// The content-addressed object store of a workspace. Objects are named by their SHA-256 (files:
/// of the bytes; directories: of the canonical manifest, see store/manifest.h), are read-only
/// once stored and never change. Layout (docs/runtime-store.md has the full contract):
///
///     <workspace>/objects/<h[0:2]>/<h>                 a file (0444, or 0555 if executable)
///     <workspace>/trees/<h[0:2]>/<h>/manifest          a directory's manifest (0444)
///     <workspace>/trees/<h[0:2]>/<h>/root/             its files (dirs 0555, files 0444/0555)
///     <workspace>/tmp/                                 staging, same filesystem as the above
///
/// Crash safety: an object appears under objects/ or trees/ only through one rename(2) of a
/// fully written, fsynced staging entry, so a reader never sees a partial object and a crash
/// leaves at most garbage in tmp/ (see cleanTmp). Callers record metadata about an object only
/// after put() returned, so metadata never refers to missing bytes.
///
/// A Store is a value holding the workspace path; all methods are safe to call concurrently
/// from several threads and processes.
#include "store/posix.h"
#include "store/result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc::store {

enum class ArtifactKind { File, Dir };
/// "file" or "dir".
std::string_view toString(ArtifactKind kind);
std::optional<ArtifactKind> parseArtifactKind(std::string_view text);

struct Artifact {
  std::string hash; ///< 64 hex characters
  ArtifactKind kind = ArtifactKind::File;
  uint64_t size = 0; ///< bytes of the file, or total bytes of a directory's files
  bool operator==(const Artifact&) const = default;
};

/// What Store::list() finds: the objects, and entries of objects/ and trees/ that cannot be
/// objects (a wrong name or shard, a directory where a file belongs, extra files in a tree).
struct StoredObject {
  std::string hash;
  ArtifactKind kind = ArtifactKind::File;
  bool operator==(const StoredObject&) const = default;
};
struct StrayEntry {
  std::string path;   ///< absolute
  std::string reason; ///< e.g. "its name is not a SHA-256"
};
struct StoreListing {
  std::vector<StoredObject> objects; ///< files first, then trees, each sorted by hash
  std::vector<StrayEntry> strays;
};

/// A staging entry in tmp/ as cleanTmp() judges it.
struct TmpEntry {
  std::string name;
  double ageSeconds = 0;  ///< since its last modification
  bool abandoned = false; ///< no live put holds it and it is older than the grace period
};

enum class MaterializeMode {
  Symlink, ///< `dest` becomes a symlink to the read-only object (no copying)
  Copy,    ///< `dest` becomes a private writable copy (0644/0755)
};

class Store;

/// An output put() has hashed and staged in tmp/ but not yet made durable or moved into place:
/// what Store::stage() returns and Store::finish() completes, so that the wait for the disk can
/// happen on another thread. Destroyed unfinished, it is undone: a moved source is put back where
/// it was (read-only, as a failed put() leaves it), a copy is removed. A directory is stored
/// whole by stage() (its files are flushed with one syncfs), so its StagedPut is already done.
class StagedPut {
public:
  StagedPut(StagedPut&& other) noexcept;
  StagedPut& operator=(StagedPut&&) = delete;
  StagedPut(const StagedPut&) = delete;
  StagedPut& operator=(const StagedPut&) = delete;
  ~StagedPut();

  /// What the object will be once finish() succeeds.
  const Artifact& artifact() const { return artifact_; }
  bool done() const { return done_; }

private:
  friend class Store;
  StagedPut() = default;
  void undo();

  Artifact artifact_;
  std::string source_, staging_, target_;
  unsigned sourceMode_ = 0;
  bool moved_ = false;        ///< the source itself was renamed to staging_
  bool removeSource_ = false; ///< a move across filesystems: remove the source once stored
  bool done_ = false;
  UniqueFd fd_; ///< the staged file, open and flocked so that cleanTmp leaves it alone
};

class Store {
public:
  /// Opens the store in `workspaceDir` (e.g. `<project>/.mlp`), creating the directories above
  /// when missing.
  static Result<Store> open(const std::string& workspaceDir);

  const std::string& workspace() const { return workspace_; }

  /// Ingests a produced output (a regular file or a directory of regular files): hashes it,
  /// stages a read-only copy in tmp/, fsyncs it and renames it into place. If the object already
  /// exists the staged copy is dropped, so concurrent puts of the same content all succeed.
  ///
  /// With `move` the source is consumed: it is renamed into tmp/ instead of copied (or, on
  /// another filesystem, copied and then removed). If the put fails after the rename, the source
  /// is renamed back (files inside may have become read-only).
  ///
  /// Errors (ENOSPC, EACCES, EROFS, symlinks in the tree, ...) name the path and the OS error,
  /// and leave nothing outside tmp/ (normally nothing at all).
  Result<Artifact> put(const std::string& path, bool move = false) const;
  /// put() in two halves. stage() does everything but the waits for the disk: it hashes the
  /// output and holds it in tmp/ (a directory is stored whole, see StagedPut); the object is not
  /// under its name yet. finish() fsyncs the staged file and renames it into place; it may run
  /// on another thread than stage(). Errors are put()'s, each from the half that meets it, and a
  /// failed finish() undoes the put as a failed put() would.
  Result<StagedPut> stage(const std::string& path, bool move = false) const;
  Result<Artifact> finish(StagedPut& staged) const;

  // Lookups take an optional kind because a file and a directory can share a hash: an empty
  // directory's manifest is the empty string, so it has the empty file's hash (and so would a
  // file whose bytes are exactly some manifest). Without a kind, the directory wins; callers
  // that know the kind (meta records it) should pass it.

  /// True when an object with this hash (and kind, if given) is stored.
  bool has(std::string_view hash, std::optional<ArtifactKind> kind = std::nullopt) const;
  /// The path to read the object at: the file itself, or the read-only `root/` of a directory.
  Result<std::string> path(std::string_view hash,
                           std::optional<ArtifactKind> kind = std::nullopt) const;
  /// Kind and size of a stored object (a directory's size is summed from its files).
  Result<Artifact> stat(std::string_view hash,
                        std::optional<ArtifactKind> kind = std::nullopt) const;
  /// Re-hashes the object: true when intact, false when its contents no longer match its name.
  /// An error means it is missing or unreadable.
  Result<bool> verify(std::string_view hash, std::optional<ArtifactKind> kind = std::nullopt) const;
  /// Makes the object available at `dest` (which must not exist; its parent must) and returns
  /// `dest`. For read-only use, path() alone is enough: no link or copy is needed.
  Result<std::string> materialize(std::string_view hash, const std::string& dest,
                                  MaterializeMode mode = MaterializeMode::Symlink,
                                  std::optional<ArtifactKind> kind = std::nullopt) const;

  /// Removes abandoned staging entries: those no live put holds a lock on and last modified more
  /// than `grace` ago (the grace period covers the instant between creating an entry and locking
  /// it). Where the filesystem has no flock, entries older than an hour are removed instead.
  /// Returns how many entries were removed.
  Result<size_t> cleanTmp(std::chrono::seconds grace = std::chrono::seconds(60)) const;

  /// Every object in objects/ and trees/, and whatever else is there (see StoreListing). Reads
  /// directories only; verify() checks contents.
  Result<StoreListing> list() const;
  /// The staging entries in tmp/, each judged like cleanTmp(grace) would (nothing is removed).
  Result<std::vector<TmpEntry>>
  scanTmp(std::chrono::seconds grace = std::chrono::seconds(60)) const;
  /// Removes an object. Only for objects nothing refers to: the caller must hold the workspace
  /// lock exclusively (store/workspace_lock.h) and have checked the metadata under it. The
  /// object leaves objects/ or trees/ with one rename into tmp/ and is deleted from there, so a
  /// crash midway leaves garbage in tmp/, never a half-deleted object.
  Status remove(std::string_view hash, ArtifactKind kind) const;

  /// Where the object would live (whether or not it exists); `hash` must be valid hex.
  std::string filePath(std::string_view hash) const;
  std::string treePath(std::string_view hash) const;
  std::string tmpDir() const { return workspace_ + "/tmp"; }

private:
  explicit Store(std::string workspace) : workspace_(std::move(workspace)) {}
  Result<StagedPut> stageFile(const std::string& src, unsigned srcMode, bool move) const;
  Result<Artifact> putDir(const std::string& src, bool move) const;
  Status commit(const std::string& staging, const std::string& target, bool isDir) const;
  Result<ArtifactKind> locate(std::string_view hash, std::optional<ArtifactKind> kind) const;

  std::string workspace_;
};

} // namespace mlpc::store
