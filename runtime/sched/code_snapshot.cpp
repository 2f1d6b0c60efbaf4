#include "sched/code_snapshot.h"

#include "store/sha256.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace mlpc::sched {

using plan::Json;

namespace {

constexpr std::string_view kStdlibPrefix = "@stdlib/";
/// The script `transform` runs for each shard (see Executor: prepareTransform).
constexpr const char* kShardDir = "@stdlib/std";
constexpr const char* kShardScript = "sklearn/transform_shard.py";

bool isStdlibDir(const std::string& dir) {
  return dir.rfind(kStdlibPrefix, 0) == 0;
}

/// Absolute and lexically normal, without a trailing separator.
fs::path normal(const fs::path& p) {
  fs::path n = fs::absolute(p).lexically_normal();
  if (!n.has_filename() && n.has_parent_path() && n != n.root_path()) n = n.parent_path();
  return n;
}

bool anyTransform(const std::vector<plan::Node>& nodes) {
  for (const plan::Node& n : nodes) {
    if (n.as<plan::TransformNode>()) return true;
    for (auto* c : n.children())
      if (anyTransform(*c)) return true;
  }
  return false;
}

/// Every step and server definition of the plan.
void eachDefinition(const plan::Plan& plan,
                    const std::function<void(const std::string&, const plan::StepDef&)>& f) {
  for (auto* section : {&plan.steps, &plan.servers})
    for (auto& [key, def] : *section)
      f(key, def);
}

std::string dirOf(const plan::StepDef& def) {
  return def.dir;
}

/// A code file as the user knows it: `steps/train.py`, `@stdlib/std/sklearn/train.py`.
std::string shown(const std::string& dir, const std::string& path) {
  return (fs::path(dir) / path).lexically_normal().string();
}

/// The deepest directory containing every path (all absolute and normal).
fs::path commonAncestor(const std::vector<fs::path>& paths) {
  fs::path common = paths.front();
  for (const fs::path& p : paths) {
    fs::path next;
    auto a = common.begin(), b = p.begin();
    for (; a != common.end() && b != p.end() && *a == *b; ++a, ++b)
      next /= *a;
    common = next;
  }
  return common.empty() ? fs::path("/") : common;
}

/// One directory of a mirror: entries that must be real (recorded files, directories on the way
/// to them, the working directories of steps); everything else becomes a symlink.
struct MirrorNode {
  std::map<std::string, MirrorNode> kids;
  bool isFile = false;
  std::optional<std::string> hash; ///< a file's recorded bytes; nullopt: hidden (was missing)
};

store::Status mirror(const MirrorNode& node, const fs::path& real, const fs::path& out,
                     const store::Store& store) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return store::fail(fmt::format("cannot create {}: {}", out.string(), ec.message()));
  if (fs::is_directory(real, ec)) {
    fs::directory_iterator it(real, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (node.kids.count(name)) continue;
      std::error_code lec;
      fs::create_symlink(it->path(), out / name, lec);
      if (lec)
        return store::fail(fmt::format("cannot link {}: {}", (out / name).string(), lec.message()));
    }
    if (ec) return store::fail(fmt::format("cannot list {}: {}", real.string(), ec.message()));
  }
  for (const auto& [name, kid] : node.kids) {
    if (!kid.isFile) {
      if (auto s = mirror(kid, real / name, out / name, store); !s) return s;
      continue;
    }
    if (!kid.hash) continue; // missing when the run started: missing now too
    auto m = store.materialize(*kid.hash, (out / name).string(), store::MaterializeMode::Copy,
                               store::ArtifactKind::File);
    if (!m) return m.err();
  }
  return {};
}

/// Mirrors the tree around `anchor` into `out` so that every path in `files` and `dirs` (all
/// absolute) is real; returns where `anchor` is in the mirror.
store::Result<fs::path>
mirrorAround(const fs::path& anchor,
             const std::vector<std::pair<fs::path, const meta::RunCodeFile*>>& files,
             const std::vector<fs::path>& dirs, const fs::path& out, const store::Store& store) {
  std::vector<fs::path> all = {anchor};
  for (auto& [p, _] : files)
    all.push_back(p);
  for (auto& d : dirs)
    all.push_back(d);
  fs::path root = commonAncestor(all);
  MirrorNode top;
  auto nodeAt = [&](const fs::path& p) -> MirrorNode& {
    MirrorNode* n = &top;
    for (const fs::path& part : p.lexically_relative(root))
      if (part != ".") n = &n->kids[part.string()];
    return *n;
  };
  for (auto& d : dirs)
    (void)nodeAt(d);
  for (auto& [p, rec] : files) {
    MirrorNode& n = nodeAt(p);
    if (!n.kids.empty())
      return store::fail(fmt::format("code file {} is a directory today", p.string()));
    n.isFile = true;
    n.hash = rec->hash;
  }
  if (auto s = mirror(top, root, out, store); !s) return s.err();
  fs::path rel = anchor.lexically_relative(root);
  return rel == "." ? out : out / rel;
}

} // namespace

std::vector<PlanCodeFile> planCodeFiles(const plan::Plan& plan) {
  std::set<PlanCodeFile> files;
  eachDefinition(plan, [&](const std::string& key, const plan::StepDef& def) {
    for (const std::string& c : def.code)
      files.insert({dirOf(def), c, key});
  });
  if (anyTransform(plan.nodes)) files.insert({kShardDir, kShardScript, "transform"});
  return {files.begin(), files.end()};
}

std::string resolveCodeDir(const std::string& dir, const std::string& baseDir,
                           const std::vector<std::string>& stdlibDirs) {
  // The same rule as the executor's resolveDir.
  if (isStdlibDir(dir)) {
    std::string rel = dir.substr(kStdlibPrefix.size());
    for (auto& root : stdlibDirs)
      if (fs::is_directory(fs::path(root) / rel)) return (fs::path(root) / rel).string();
    return (fs::path(stdlibDirs.empty() ? "." : stdlibDirs[0]) / rel).string();
  }
  return (fs::path(baseDir) / dir).lexically_normal().string();
}

store::Status keepRunCode(const plan::Plan& plan, const std::string& runId,
                          const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                          const store::Store& store, meta::MetaStore& meta,
                          store::HashCache& hashes) {
  std::vector<meta::RunCodeFile> kept;
  for (const PlanCodeFile& f : planCodeFiles(plan)) {
    std::string full =
        (fs::path(resolveCodeDir(f.dir, baseDir, stdlibDirs)) / f.path).lexically_normal();
    meta::RunCodeFile rec{f.dir, f.path, std::nullopt};
    std::error_code ec;
    // A file that is not there (or not a file) is recorded as missing: the step fails when it
    // runs, as it always did, and a reproduction does not find today's file in its place.
    if (fs::is_regular_file(full, ec)) {
      auto h = hashes.hashFile(full);
      if (h && store.has(*h, store::ArtifactKind::File)) {
        rec.hash = *h;
      } else if (h) {
        auto a = store.put(full);
        if (!a)
          return store::fail(
              fmt::format("cannot keep code file `{}`: {}", shown(f.dir, f.path), a.error()));
        rec.hash = a->hash;
      }
    }
    kept.push_back(std::move(rec));
  }
  if (kept.empty()) return {};
  return meta.recordRunCode(runId, kept);
}

CodeCheck checkRunCode(const plan::Plan& plan, const std::vector<meta::RunCodeFile>& recorded,
                       const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                       const store::Store& store) {
  CodeCheck out;
  out.recordedAnything = !recorded.empty();
  std::map<std::pair<std::string, std::string>, const meta::RunCodeFile*> byKey;
  for (const meta::RunCodeFile& r : recorded)
    byKey[{r.dir, r.path}] = &r;
  for (const PlanCodeFile& f : planCodeFiles(plan)) {
    auto it = byKey.find({f.dir, f.path});
    if (it == byKey.end()) {
      out.notRecorded.push_back(shown(f.dir, f.path));
      continue;
    }
    const meta::RunCodeFile& r = *it->second;
    CodeDifference d;
    d.file = shown(f.dir, f.path);
    d.step = f.step;
    d.recorded = r.hash.value_or("");
    d.bytesKept = !r.hash || store.has(*r.hash, store::ArtifactKind::File);
    std::string full =
        (fs::path(resolveCodeDir(f.dir, baseDir, stdlibDirs)) / f.path).lexically_normal();
    std::error_code ec;
    if (fs::is_regular_file(full, ec))
      if (auto h = store::sha256File(full)) d.current = *h;
    if (!d.bytesKept) out.gone.push_back(d);
    if (d.current != d.recorded) out.changed.push_back(d);
  }
  return out;
}

store::Result<MaterializedCode>
materializeRunCode(const plan::Plan& plan, const std::vector<meta::RunCodeFile>& recorded,
                   const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                   const store::Store& store, const std::string& into) {
  // The stdlib root to mirror: the one today's run would use (the first that has the stdlib
  // directories the plan names), or, with none installed, a directory holding only the
  // recorded files.
  std::string stdlibRoot;
  auto considerStdlibDir = [&](const std::string& dir) {
    if (!stdlibRoot.empty() || !isStdlibDir(dir)) return;
    std::string rel = dir.substr(kStdlibPrefix.size());
    for (auto& root : stdlibDirs)
      if (fs::is_directory(fs::path(root) / rel)) {
        stdlibRoot = root;
        return;
      }
  };
  eachDefinition(
      plan, [&](const std::string&, const plan::StepDef& def) { considerStdlibDir(dirOf(def)); });
  for (const meta::RunCodeFile& r : recorded)
    considerStdlibDir(r.dir);
  if (stdlibRoot.empty())
    stdlibRoot = stdlibDirs.empty() ? (fs::path(into) / "no-stdlib").string() : stdlibDirs[0];
  std::vector<std::string> roots = {stdlibRoot};

  fs::path base = normal(baseDir), stdlib = normal(stdlibRoot);
  std::vector<std::pair<fs::path, const meta::RunCodeFile*>> baseFiles, stdlibFiles;
  std::vector<fs::path> baseDirs, stdlibWorkDirs;
  for (const meta::RunCodeFile& r : recorded) {
    if (r.hash && !store.has(*r.hash, store::ArtifactKind::File))
      return store::fail(
          fmt::format("the recorded bytes of `{}` are not in the store", shown(r.dir, r.path)));
    fs::path full = normal(fs::path(resolveCodeDir(r.dir, baseDir, roots)) / r.path);
    (isStdlibDir(r.dir) ? stdlibFiles : baseFiles).emplace_back(full, &r);
  }
  // Every step's working directory is real in the mirror, so a relative path that climbs out
  // of it (`../x.py`) stays inside the mirror.
  eachDefinition(plan, [&](const std::string&, const plan::StepDef& def) {
    std::string dir = dirOf(def);
    (isStdlibDir(dir) ? stdlibWorkDirs : baseDirs)
        .push_back(normal(resolveCodeDir(dir, baseDir, roots)));
  });
  MaterializedCode out;
  auto b = mirrorAround(base, baseFiles, baseDirs, fs::path(into) / "base", store);
  if (!b) return b.err();
  auto s = mirrorAround(stdlib, stdlibFiles, stdlibWorkDirs, fs::path(into) / "stdlib", store);
  if (!s) return s.err();
  out.baseDir = b->string();
  out.stdlibDir = s->string();
  return out;
}

} // namespace mlpc::sched
