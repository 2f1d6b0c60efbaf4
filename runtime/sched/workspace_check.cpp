#include "sched/workspace_check.h"

#include "meta/migrations.h"
#include "meta/sqlite_meta_store.h"
#include "store/sha256.h"
#include "store/workspace_lock.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace mlpc::sched {
namespace {

using meta::ObjectUse;
using store::ArtifactKind;

std::string sizeText(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < uint64_t{1024} * 1024 * 1024)
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024 * 1024));
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

std::string ageText(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 2 * 3600) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.0f} h", seconds / 3600);
}

/// "object 3fa2c1d09e4b…" or "directory object 3fa2c1d09e4b…".
std::string objectWords(const std::string& hash, std::optional<ArtifactKind> kind) {
  std::string shown = hash.size() > 12 ? hash.substr(0, 12) + "…" : hash;
  return fmt::format("{}object {}", kind == ArtifactKind::Dir ? "directory " : "", shown);
}

/// The producer is the most telling reference, a row of the artifacts table the least.
int rank(const ObjectUse& u) {
  switch (u.role) {
  case ObjectUse::Role::Output:
    return u.cached ? 3 : 0;
  case ObjectUse::Role::Input:
    return 1;
  case ObjectUse::Role::ModelVersion:
    return 2;
  case ObjectUse::Role::RunCode:
    return 4;
  case ObjectUse::Role::Code:
    return 4;
  case ObjectUse::Role::Baseline:
    return 4;
  case ObjectUse::Role::Artifact:
    return 5;
  }
  return 5;
}

bool kindMatches(const ObjectUse& u, std::optional<ArtifactKind> kind) {
  return !u.kind || !kind || *u.kind == *kind;
}

/// The references, by hash.
class UseIndex {
public:
  /// Points into `uses`, which must outlive the index and not change. It used to hold a copy of
  /// every use: with a workspace's history that was the largest part of verify's memory (a
  /// cache hit's bindings are uses of their own, one per re-run; see docs/speed.md).
  explicit UseIndex(const std::vector<ObjectUse>& uses) {
    for (const ObjectUse& u : uses)
      byHash_[u.hash].push_back(&u);
  }

  bool referenced(const std::string& hash, ArtifactKind kind) const {
    auto it = byHash_.find(hash);
    if (it == byHash_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const ObjectUse* u) { return kindMatches(*u, kind); });
  }

  /// The uses of an object, most telling first. The artifacts row is left out when anything
  /// else names the object: "output `model` of step `train`" says more than "a recorded
  /// artifact".
  std::vector<ObjectUse> usesOf(const std::string& hash, std::optional<ArtifactKind> kind) const {
    std::vector<ObjectUse> out;
    auto it = byHash_.find(hash);
    if (it == byHash_.end()) return out;
    for (const ObjectUse* u : it->second)
      if (kindMatches(*u, kind)) out.push_back(*u);
    std::stable_sort(out.begin(), out.end(),
                     [](const ObjectUse& a, const ObjectUse& b) { return rank(a) < rank(b); });
    if (out.size() > 1 && out.front().role != ObjectUse::Role::Artifact)
      std::erase_if(out, [](const ObjectUse& u) { return u.role == ObjectUse::Role::Artifact; });
    return out;
  }

private:
  std::unordered_map<std::string_view, std::vector<const ObjectUse*>> byHash_;
};

/// " (output `model` of step `train` in run r-…, and 2 more uses)", or "" for no uses.
std::string usedByText(const std::vector<ObjectUse>& uses) {
  if (uses.empty()) return "";
  std::string more = uses.size() == 1   ? ""
                     : uses.size() == 2 ? ", and 1 more use"
                                        : fmt::format(", and {} more uses", uses.size() - 1);
  return " (" + meta::describe(uses.front()) + more + ")";
}

void addNote(std::string& note, const std::string& text) {
  note += (note.empty() ? "" : "; ") + text;
}

} // namespace

size_t CheckReport::damage() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Finding::Severity::Damage && !f.removed;
  }));
}

size_t CheckReport::garbage() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Finding::Severity::Garbage && !f.removed;
  }));
}

store::Result<CheckReport> checkWorkspace(const std::string& dir, const CheckOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return store::fail(fmt::format("no workspace at {}: there is no such directory", dir));
  if (!fs::exists(fs::path(dir) / "meta.db", ec))
    return store::fail(fmt::format("no workspace at {}: it has no meta.db (a workspace is the "
                                   ".mlp/ directory a run creates beside its .mlp file)",
                                   dir));
  auto st = store::Store::open(dir);
  if (!st) return store::fail(fmt::format("cannot open the workspace {}: {}", dir, st.error()));

  CheckReport report;
  report.workspace = st->workspace();
  auto damage = [&](std::string kind, std::string message) -> Finding& {
    Finding f;
    f.kind = std::move(kind);
    f.message = std::move(message);
    report.findings.push_back(std::move(f));
    return report.findings.back();
  };

  // --- the metadata: its own consistency, and every reference to an object.
  std::unique_ptr<meta::SqliteMetaStore> meta;
  std::vector<ObjectUse> uses;
  bool usesKnown = false;
  // Opened as it is: verify must not migrate (change) what it checks.
  if (auto m = meta::SqliteMetaStore::openWithoutMigrating(report.workspace); !m)
    damage("metadata_unreadable", "cannot read the metadata: " + m.error());
  else
    meta = std::move(*m);
  if (meta) {
    int have = meta->schemaVersion(), want = meta::latestSchemaVersion();
    report.schemaVersion = have;
    if (have == 0)
      damage("schema", "meta.db records no schema version: it was not written by mlpc, or its "
                       "schema_version table is damaged");
    else if (have > want)
      damage("schema", fmt::format("meta.db is at schema version {}, newer than this mlpc reads "
                                   "({}): check it with a newer mlpc",
                                   have, want));
    else if (have < want)
      damage("schema", fmt::format("meta.db is at schema version {}; this mlpc checks version {} "
                                   "(any command that reads the history, e.g. `mlpc runs`, "
                                   "upgrades it first)",
                                   have, want));
    if (have != want) meta.reset(); // its tables are not the ones the checks below query
  }
  if (meta) {
    if (auto problems = meta->checkConsistency(); !problems)
      damage("database", "cannot check meta.db: " + problems.error());
    else
      for (meta::MetaProblem& p : *problems)
        damage(p.kind == "reference" ? "bad_reference" : p.kind, std::move(p.message));
    if (auto u = meta->objectUses(); !u)
      damage("metadata_unreadable", "cannot read the references to stored objects: " + u.error());
    else {
      uses = std::move(*u);
      usesKnown = true;
    }
  }
  report.references = uses.size();
  UseIndex index(uses);

  // --- every stored object against its name.
  auto listing = st->list();
  if (!listing)
    damage("unreadable_object", "cannot list the store: " + listing.error());
  else {
    for (store::StrayEntry& s : listing->strays) {
      Finding& f =
          damage("stray_file", fmt::format("{} is not a stored object: {}", s.path, s.reason));
      f.object = s.path;
    }
    for (const store::StoredObject& o : listing->objects) {
      ++(o.kind == ArtifactKind::Dir ? report.trees : report.files);
      // Without the references every object would look unused: nothing is called an orphan.
      bool orphan = usesKnown && !index.referenced(o.hash, o.kind);
      auto ok = st->verify(o.hash, o.kind);
      if (ok && *ok && !orphan) continue;
      // Only an object with a finding is described, with its uses.
      std::vector<ObjectUse> objUses = index.usesOf(o.hash, o.kind);
      std::string words = objectWords(o.hash, o.kind);
      Finding f;
      if (!ok) {
        f.kind = "unreadable_object";
        f.message = fmt::format("{}{} cannot be read: {}", words, usedByText(objUses), ok.error());
      } else if (!*ok) {
        f.kind = "corrupt_object";
        f.message = fmt::format("{}{} does not match its hash: its contents changed after it "
                                "was stored",
                                words, usedByText(objUses));
      } else { // read and sound, but nothing refers to it
        f.kind = "orphan_object";
        f.severity = Finding::Severity::Garbage;
      }
      f.object = o.hash;
      f.objectKind = o.kind;
      f.usedBy = std::move(objUses);
      f.removable = orphan;
      if (auto s = st->stat(o.hash, o.kind)) f.size = s->size;
      if (f.kind == "orphan_object")
        f.message =
            fmt::format("{} ({}) is not used by any run or model version", words, sizeText(f.size));
      else if (orphan)
        f.message += "; nothing refers to it";
      report.findings.push_back(std::move(f));
    }
  }

  // --- every reference to an object that must be stored.
  {
    // (hash, kind or -1 for either), viewing the hashes in `uses`: most uses repeat one seen
    // before (each re-run's hits), and a copied key was an allocation for each.
    std::set<std::pair<std::string_view, int>> seen;
    for (const ObjectUse& u : uses) {
      if (!u.required) continue;
      int k = u.kind ? static_cast<int>(*u.kind) : -1;
      if (!seen.insert({u.hash, k}).second) continue;
      if (!store::isSha256Hex(u.hash)) {
        damage("bad_reference", fmt::format("{} refers to `{}`, which is not an object name",
                                            meta::describe(u), u.hash));
        continue;
      }
      if (st->has(u.hash, u.kind)) continue;
      std::vector<ObjectUse> objUses = index.usesOf(u.hash, u.kind);
      std::erase_if(objUses, [](const ObjectUse& x) { return !x.required; });
      Finding& f =
          damage("missing_object", fmt::format("{}{} is missing from the store",
                                               objectWords(u.hash, u.kind), usedByText(objUses)));
      f.object = u.hash;
      f.objectKind = u.kind;
      f.usedBy = std::move(objUses);
    }
  }

  // --- staging entries that no put will finish.
  if (auto tmp = st->scanTmp(options.tmpGrace); !tmp)
    damage("unreadable_object", "cannot list the store's staging area: " + tmp.error());
  else
    for (const store::TmpEntry& e : *tmp) {
      if (!e.abandoned) {
        ++report.tmpInUse;
        continue;
      }
      Finding f;
      f.kind = "abandoned_tmp";
      f.severity = Finding::Severity::Garbage;
      f.object = st->tmpDir() + "/" + e.name;
      f.message = fmt::format("staging entry tmp/{} was left by a put that did not finish "
                              "({} old)",
                              e.name, ageText(e.ageSeconds));
      f.removable = true;
      report.findings.push_back(std::move(f));
    }

  if (!options.repair) return report;

  // --- repair: staging entries first (cleanTmp judges each again, holding its lock).
  bool anyTmp = std::any_of(report.findings.begin(), report.findings.end(),
                            [](const Finding& f) { return f.kind == "abandoned_tmp"; });
  if (anyTmp) {
    if (auto c = st->cleanTmp(options.tmpGrace); !c)
      addNote(report.repairNote, "cleaning tmp/: " + c.error());
    for (Finding& f : report.findings)
      if (f.kind == "abandoned_tmp" && !fs::exists(fs::symlink_status(f.object, ec))) {
        f.removed = true;
        ++report.removed;
      }
  }

  if (!usesKnown) {
    addNote(report.repairNote, "no object was removed: the metadata could not be read, and "
                               "without it every object would look unused");
    return report;
  }
  bool anyObject =
      std::any_of(report.findings.begin(), report.findings.end(),
                  [](const Finding& f) { return f.removable && f.objectKind.has_value(); });
  if (!anyObject) return report;
  auto lock = store::WorkspaceLock::tryExclusive(report.workspace);
  if (!lock) {
    addNote(report.repairNote, "no object was removed: " + lock.error());
    return report;
  }
  if (!*lock) {
    addNote(report.repairNote, "no object was removed: a run is using this workspace (run "
                               "`mlpc verify --repair` again when it has finished)");
    return report;
  }
  // Under the lock no run is between storing an object and recording it; read the references
  // again, since a run may have recorded new ones after the first read.
  auto fresh = meta->objectUses();
  if (!fresh) {
    addNote(report.repairNote, "no object was removed: " + fresh.error());
    return report;
  }
  UseIndex now(*fresh);
  for (Finding& f : report.findings) {
    if (!f.removable || !f.objectKind) continue;
    if (now.referenced(f.object, *f.objectKind)) {
      // A run recorded it since the first read: it is not garbage after all.
      f.removable = false;
      if (f.severity == Finding::Severity::Garbage) f.kind.clear();
      continue;
    }
    if (auto s = st->remove(f.object, *f.objectKind); !s) {
      addNote(report.repairNote, s.error());
      continue;
    }
    f.removed = true;
    ++report.removed;
    report.freedBytes += f.size;
  }
  std::erase_if(report.findings, [](const Finding& f) { return f.kind.empty(); });
  return report;
}

} // namespace mlpc::sched
