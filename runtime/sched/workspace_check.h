#pragma once
/// `mlpc verify`: checks a workspace the way `git fsck` checks a repository. Every stored object
/// is re-hashed against its name, every metadata reference is resolved (to an object, a run, an
/// execution, a model version), and the schema and the database's own integrity are checked.
///
/// Findings are of two severities. Damage is something a user has to know about: an object that
/// is missing, corrupt or unreadable, a reference without its target, a schema that is not this
/// build's, files in the store that the store did not put there. Garbage is what crashes leave
/// by design and what `--repair` reclaims: objects nothing refers to (a run killed between
/// storing an output and recording it) and abandoned staging entries in tmp/. Garbage is not an
/// error.
///
/// Repair removes only unreferenced objects (under the exclusive workspace lock, after reading
/// the references again under it, so an object a run has stored but not yet recorded is never
/// taken) and staging entries no live put holds that are older than the grace period. Referenced
/// objects are never removed, however damaged: they are reported.
#include "meta/integrity.h"
#include "store/store.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::sched {

struct CheckOptions {
  bool repair = false;
  /// Staging entries younger than this are left alone (a put may be about to lock its entry).
  std::chrono::seconds tmpGrace{60};
};

struct Finding {
  enum class Severity { Damage, Garbage };
  /// missing_object, corrupt_object, unreadable_object, stray_file, bad_reference, schema,
  /// database, metadata_unreadable, orphan_object, abandoned_tmp
  std::string kind;
  Severity severity = Severity::Damage;
  std::string message; ///< one sentence in user terms
  std::string object;  ///< the hash, or the path for strays and staging entries
  std::optional<store::ArtifactKind> objectKind;
  uint64_t size = 0;                   ///< orphans: bytes a repair frees
  std::vector<meta::ObjectUse> usedBy; ///< for objects: every reference, most telling first
  bool removable = false;              ///< nothing refers to it: --repair may remove it
  bool removed = false;                ///< --repair removed it
};

struct CheckReport {
  std::string workspace;
  int schemaVersion = 0; ///< 0 when the metadata could not be read
  size_t files = 0;      ///< file objects checked
  size_t trees = 0;      ///< directory objects checked
  size_t references = 0; ///< metadata references to objects resolved
  size_t tmpInUse = 0;   ///< staging entries of puts in progress (or younger than the grace)
  std::vector<Finding> findings;
  /// Set when --repair held back: why (a run holds the workspace, the metadata is unreadable).
  std::string repairNote;
  size_t removed = 0;
  uint64_t freedBytes = 0;

  /// Damage that is still there (removed findings do not count).
  size_t damage() const;
  /// Garbage still there.
  size_t garbage() const;
};

/// Checks (and with `repair`, cleans) the workspace in `dir`. An error only when `dir` is not a
/// workspace at all; everything wrong inside one is a finding.
store::Result<CheckReport> checkWorkspace(const std::string& dir, const CheckOptions& options);

} // namespace mlpc::sched
