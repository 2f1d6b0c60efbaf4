#pragma once
/// The code a run ran, kept so `mlpc reproduce` can run the same bytes again.
///
/// When a run starts, every `code` file of the plan's steps and servers (and the stdlib script
/// the runtime itself runs for `transform`) is hashed and stored in the workspace's object
/// store, content-addressed, and listed in meta.db (`run_code`) by the step's `dir` and the
/// path as the plan writes them. A reproduction materialises those bytes into a private
/// directory that mirrors the project (and the stdlib): every recorded file is a copy of the
/// recorded bytes, everything else is a symlink to today's file, so a step finds the files it
/// did not declare where they are today and its declared code as it was.
#include "meta/meta_store.h"
#include "plan/model.h"
#include "plan/plan.h"
#include "store/hash_cache.h"
#include "store/store.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::sched {

/// A code file named by a plan: the step's `dir` and a path relative to it.
struct PlanCodeFile {
  std::string dir;
  std::string path;
  std::string step; ///< a step or server key that names it (the first one), or "transform"
  bool operator<(const PlanCodeFile& o) const { return dir != o.dir ? dir < o.dir : path < o.path; }
};

/// Every code file of the plan, once each, sorted by dir and path: the `code` of every step and
/// server, and `sklearn/transform_shard.py` in `@stdlib/std` when a `transform` node is present.
std::vector<PlanCodeFile> planCodeFiles(const plan::Plan& plan);

/// A step's `dir` as an absolute directory: `@stdlib/REL` in the first stdlib root that has REL
/// (the runtime's rule), anything else relative to `baseDir`.
std::string resolveCodeDir(const std::string& dir, const std::string& baseDir,
                           const std::vector<std::string>& stdlibDirs);

/// Hashes and stores every code file of `plan` (a missing file is recorded without a hash) and
/// records them for `runId`. An error only when the store or the metadata cannot be written.
store::Status keepRunCode(const plan::Plan& plan, const std::string& runId,
                          const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                          const store::Store& store, meta::MetaStore& meta,
                          store::HashCache& hashes);

/// How a recorded code file compares with what is there now.
struct CodeDifference {
  std::string file;       ///< as the user knows it: `steps/train.py`, `@stdlib/std/sklearn/x.py`
  std::string step;       ///< a step that names it
  std::string recorded;   ///< the hash the run kept ("" when the file was missing then)
  std::string current;    ///< today's hash ("" when it is missing now)
  bool bytesKept = false; ///< the recorded bytes are in the store
};

/// The plan's code files against the run's record: the files whose recorded bytes cannot be
/// run (never recorded, or gone from the store) and, for every file, whether today's bytes
/// differ.
struct CodeCheck {
  std::vector<std::string> notRecorded; ///< plan files with no record (a run older than v3)
  std::vector<CodeDifference> gone;     ///< recorded, but the bytes are not in the store
  std::vector<CodeDifference> changed;  ///< today's bytes differ from the recorded ones
  bool recordedAnything = false;        ///< the run has any record of its code
};

CodeCheck checkRunCode(const plan::Plan& plan, const std::vector<meta::RunCodeFile>& recorded,
                       const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                       const store::Store& store);

/// Where a reproduction runs: the base directory and the stdlib root to give the executor.
struct MaterializedCode {
  std::string baseDir;
  std::string stdlibDir;
};

/// Builds, under `into` (an empty directory), a mirror of the base directory and of the stdlib
/// holding the recorded bytes of every code file (and hiding files recorded as missing), every
/// other entry a symlink to today's. Every recorded file's bytes must be in the store.
store::Result<MaterializedCode>
materializeRunCode(const plan::Plan& plan, const std::vector<meta::RunCodeFile>& recorded,
                   const std::string& baseDir, const std::vector<std::string>& stdlibDirs,
                   const store::Store& store, const std::string& into);

} // namespace mlpc::sched
