#pragma once
// Every .mlp file in the repository (examples, stdlib, golden inputs with and without errors,
// the fuzz corpus and its crashes, the editors' fixtures), for tests that must hold on all of
// them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mlpc::testing {

inline std::vector<std::filesystem::path> repoPrograms() {
  namespace fs = std::filesystem;
  fs::path root = MLPC_TEST_SOURCE_DIR;
  std::vector<fs::path> files;
  for (const char* dir : {"examples", "stdlib", "tests", "editors"})
    for (auto it = fs::recursive_directory_iterator(root / dir);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && it->path().filename() == "node_modules") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && it->path().extension() == ".mlp") files.push_back(it->path());
    }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace mlpc::testing
