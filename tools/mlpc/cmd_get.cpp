// `mlpc cat REF` and `mlpc get REF -o PATH`: get an artifact out of the workspace's store, by
// the same references `lineage` takes (a hash prefix, RUN:step.output or GROUP@VERSION).
#include "artifact_ref.h"
#include "commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace mlpc::cli {
namespace {

struct Found {
  std::string hash;
  store::ArtifactKind kind = store::ArtifactKind::File;
  std::string type;
};

/// Resolves REF and checks that the store still holds its bytes; prints the error and sets exit
/// code 2 when not.
std::optional<Found> find(sched::Workspace& ws, const std::string& ref) {
  std::string header;
  std::string hash = resolveRef(*ws.meta, ref, header);
  if (hash.empty()) {
    exitCode() = 2;
    return std::nullopt;
  }
  Found f{hash, store::ArtifactKind::File, ""};
  if (auto rec = ws.meta->getArtifact(hash); rec && *rec) {
    f.kind = (*rec)->kind;
    f.type = (*rec)->type;
  }
  if (!ws.store->has(hash, f.kind)) {
    std::cerr << "error: artifact " << shortHash(hash) << " (`" << ref
              << "`) is recorded in the metadata but its bytes are not in the store "
              << ws.store->workspace() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return f;
}

void registerCat(CLI::App& app) {
  struct O {
    std::string ws, ref;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("cat", "Print a stored file artifact's bytes to stdout");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_option("REF", o->ref, "An artifact hash prefix, RUN:step.output, or GROUP@VERSION")
      ->required();
  cmd->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto f = find(*ws, o->ref);
    if (!f) return;
    if (f->kind == store::ArtifactKind::Dir) {
      std::cerr << "error: `" << o->ref << "` is a directory artifact; copy it out with "
                << "`mlpc get " << o->ref << " -o DIR`\n";
      exitCode() = 2;
      return;
    }
    auto path = ws->store->path(f->hash, f->kind);
    std::ifstream in(path ? *path : std::string(), std::ios::binary);
    if (!path || !in) {
      std::cerr << "error: cannot read artifact " << shortHash(f->hash) << ": "
                << (path ? *path : path.error()) << "\n";
      exitCode() = 2;
      return;
    }
    std::cout << in.rdbuf();
    std::cout.flush();
    if (!std::cout) exitCode() = 1; // e.g. a closed pipe: nothing more to say
  });
}

void registerGet(CLI::App& app) {
  struct O {
    std::string ws, ref, out;
    bool force = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "get", "Copy a stored artifact (a file or a directory) out of the workspace to a path");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_option("REF", o->ref, "An artifact hash prefix, RUN:step.output, or GROUP@VERSION")
      ->required();
  cmd->add_option("-o,--output", o->out, "Where to write it (must not exist, unless --force)")
      ->required();
  cmd->add_flag("--force", o->force, "Replace PATH if it exists");
  cmd->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto f = find(*ws, o->ref);
    if (!f) return;
    std::error_code ec;
    fs::path dest = fs::absolute(o->out, ec);
    if (fs::symlink_status(dest, ec).type() != fs::file_type::not_found) {
      if (!o->force) {
        std::cerr << "error: " << o->out << " exists; pass --force to replace it\n";
        exitCode() = 2;
        return;
      }
      fs::remove_all(dest, ec);
      if (ec) {
        std::cerr << "error: cannot replace " << o->out << ": " << ec.message() << "\n";
        exitCode() = 2;
        return;
      }
    }
    if (!fs::is_directory(dest.parent_path(), ec)) {
      std::cerr << "error: cannot write " << o->out << ": the directory "
                << dest.parent_path().string() << " does not exist\n";
      exitCode() = 2;
      return;
    }
    auto r = ws->store->materialize(f->hash, dest.string(), store::MaterializeMode::Copy, f->kind);
    if (!r) {
      std::cerr << "error: cannot write " << o->out << ": " << r.error() << "\n";
      exitCode() = 2;
      return;
    }
    std::cout << "wrote " << o->out << " (" << (f->type.empty() ? toString(f->kind) : f->type)
              << ", " << shortHash(f->hash) << ")\n";
  });
}

} // namespace

void registerGetAndCat(CLI::App& app) {
  registerCat(app);
  registerGet(app);
}

} // namespace mlpc::cli
