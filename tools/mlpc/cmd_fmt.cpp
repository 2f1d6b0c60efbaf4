// `mlpc fmt [--check] [--stdout] PATHS…`: rewrite .mlp files in the canonical layout
// (compiler/format/format.h), or, with --check, print the diff and fail when one is not.
#include "commands.h"
#include "common.h"
#include "format/format.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mlpc::cli {

namespace {

/// The files PATHS name: a file as given, a directory's *.mlp files at any depth, in name order.
bool collect(const std::vector<std::string>& paths, std::vector<std::string>& out) {
  std::set<std::string> seen;
  for (auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == ".mlp")
          found.push_back(it->path().string());
      if (ec) {
        std::cerr << "error: cannot read directory " << p << ": " << ec.message() << "\n";
        return false;
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found)
        if (seen.insert(f).second) out.push_back(f);
    } else if (fs::exists(p, ec)) {
      if (seen.insert(p).second) out.push_back(p);
    } else {
      std::cerr << "error: " << p << ": no such file or directory\n";
      return false;
    }
  }
  return true;
}

/// Replaces `path` with `text` atomically (a temporary file beside it, then rename), keeping
/// its permission bits, so an interrupted fmt never leaves a half-written program.
bool writeAtomically(const std::string& path, const std::string& text, std::string& error) {
  struct stat st {};
  mode_t mode = ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0644;
  std::string tmp = path + ".mlpc-fmt." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp;
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  ::chmod(tmp.c_str(), mode);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    error = "cannot replace " + path + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

} // namespace

void registerFmt(CLI::App& app) {
  struct Opts {
    std::vector<std::string> paths;
    bool check = false, toStdout = false;
    DiagOptions diag;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "fmt", "Format .mlp files in the canonical layout (in place, or --check for CI)");
  cmd->add_option("PATHS", o->paths, "Files, or directories to format every .mlp file in")
      ->required();
  cmd->add_flag("--check", o->check,
                "Change nothing: print the diff of each file not formatted and exit 1 if any");
  cmd->add_flag("--stdout", o->toStdout, "Print the formatted file instead of rewriting it");
  cmd->footer("Exit status: 0 formatted (or, with --check, already formatted); 1 a file has "
              "syntax errors (it is left as it is) or, with --check, is not formatted; 2 usage "
              "or I/O errors.");
  cmd->callback([o] {
    if (o->check && o->toStdout) {
      std::cerr << "error: --check and --stdout do not go together\n";
      exitCode() = 2;
      return;
    }
    std::vector<std::string> files;
    if (!collect(o->paths, files)) {
      exitCode() = 2;
      return;
    }
    if (o->toStdout && files.size() != 1) {
      std::cerr << "error: --stdout formats one file; " << files.size() << " were given\n";
      exitCode() = 2;
      return;
    }
    int rc = 0;
    size_t changed = 0;
    for (auto& path : files) {
      std::string text, err;
      if (!readFile(path, text, err)) {
        std::cerr << "error: " << err << "\n";
        rc = 2;
        continue;
      }
      SourceManager sm;
      FileId id = sm.add(path, text);
      DiagnosticSink sink;
      auto out = format::formatFile(sm, id, sink, err);
      if (!out) {
        if (!err.empty()) {
          std::cerr << "error: " << err << "\n";
          rc = 2;
        } else {
          emitDiagnostics(sink, sm, o->diag);
          std::cerr << "error: " << path << " has syntax errors; not formatted\n";
          rc = std::max(rc, 1);
        }
        continue;
      }
      if (o->toStdout) {
        std::cout << *out;
        continue;
      }
      if (*out == text) continue;
      ++changed;
      if (o->check) {
        std::cout << format::unifiedDiff(text, *out, path, path + " (formatted)");
        rc = std::max(rc, 1);
        continue;
      }
      if (!writeAtomically(path, *out, err)) {
        std::cerr << "error: " << err << "\n";
        rc = 2;
        continue;
      }
      std::cerr << "formatted " << path << "\n";
    }
    if (o->check && changed)
      std::cerr << changed << " of " << files.size() << " file" << (files.size() == 1 ? "" : "s")
                << " not formatted; run `mlpc fmt` on " << (changed == 1 ? "it" : "them") << "\n";
    exitCode() = rc;
  });
}

} // namespace mlpc::cli
