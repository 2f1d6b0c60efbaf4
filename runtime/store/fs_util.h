#pragma once
/// Filesystem steps the store is built from. Each reports failures with the path and OS error.
#include "store/result.h"

#include <string>
#include <string_view>

namespace mlpc::store {

/// mkdir that treats "already exists as a directory" as success (racing creators both win).
Status ensureDir(const std::string& path, unsigned mode = 0755);
/// Creates `path` and any missing parents.
Status ensureDirs(const std::string& path, unsigned mode = 0755);

/// Removes a file or a whole tree, first making read-only directories writable (store objects
/// are read-only on purpose). Missing paths are not an error.
Status removeTree(const std::string& path);

/// fsync of a directory, which makes renames and creations inside it durable.
Status fsyncDir(const std::string& path);

/// rename(2) that fails with EEXIST instead of replacing an existing target. Uses
/// renameat2(RENAME_NOREPLACE); on filesystems without it, link()+unlink() for files and plain
/// rename() for directories (which already refuses a non-empty target). Returns 0 or an errno.
int renameNoReplace(const std::string& from, const std::string& to, bool isDir);

/// A name no other process or thread on this host will generate: pid, a process-wide counter
/// and random bits (the random part covers workspaces shared across hosts).
std::string uniqueName();

} // namespace mlpc::store
