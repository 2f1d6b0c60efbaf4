// ObjectProbe: the same answers as Store::has for files, trees, both under one hash, missing
// objects and names that are not hashes; from several threads; and through the store when its
// directories cannot be opened.
#include "store/object_probe.h"
#include "store/sha256.h"
#include "store/store.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace mlpc::store;

namespace {
ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-probe-test-");
}

std::string put(const Store& store, const std::string& path) {
  Result<Artifact> a = store.put(path);
  REQUIRE(a.ok());
  return a->hash;
}

const std::optional<ArtifactKind> kKinds[] = {std::nullopt, ArtifactKind::File, ArtifactKind::Dir};
} // namespace

TEST_CASE("ObjectProbe answers as Store::has does", "[store][probe]") {
  ScopedTempDir dir = tempDir();
  Result<Store> opened = Store::open(dir / ".mlp");
  REQUIRE(opened.ok());
  const Store& store = *opened;
  std::ofstream(dir / "file") << "some bytes";
  std::ofstream(dir / "empty");
  ::mkdir((dir / "tree").c_str(), 0755);
  std::ofstream(dir / "tree/a") << "a";
  ::mkdir((dir / "none").c_str(), 0755);
  const std::string file = put(store, dir / "file");
  const std::string tree = put(store, dir / "tree");
  // An empty file and an empty directory share a hash: both are stored, one of each kind.
  const std::string empty = put(store, dir / "empty");
  REQUIRE(put(store, dir / "none") == empty);
  std::string upper = file;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::string> hashes = {file,
                                           tree,
                                           empty,
                                           sha256Bytes("never stored"),
                                           upper,
                                           file.substr(0, 63),
                                           file + "0",
                                           "",
                                           "../../../etc/passwd"};
  ObjectProbe probe(store);
  for (const std::string& h : hashes)
    for (auto kind : kKinds) {
      INFO(h << " " << (kind ? toString(*kind) : "any"));
      CHECK(probe.has(h, kind) == store.has(h, kind));
    }
  CHECK(probe.has(file));
  CHECK_FALSE(probe.has(file, ArtifactKind::Dir));
  CHECK(probe.has(tree, ArtifactKind::Dir));
  CHECK_FALSE(probe.has(tree, ArtifactKind::File));
  CHECK(probe.has(empty, ArtifactKind::File));
  CHECK(probe.has(empty, ArtifactKind::Dir));
  CHECK_FALSE(probe.has(sha256Bytes("never stored")));

  SECTION("from several threads at once") {
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i)
          for (const std::string& h : hashes)
            if (probe.has(h) != store.has(h)) ++wrong[t];
      });
    for (auto& th : threads)
      th.join();
    CHECK(wrong == std::vector<int>(4, 0));
  }

  SECTION("an object removed after the probe was made is gone for it too") {
    REQUIRE(store.remove(file, ArtifactKind::File).ok());
    CHECK_FALSE(probe.has(file));
    CHECK_FALSE(store.has(file));
  }

  SECTION("without its directories it asks the store") {
    // objects/ moved away before the probe opens it: the probe cannot open it, and answers
    // through the store, which finds nothing there either.
    REQUIRE(::rename((dir / ".mlp/objects").c_str(), (dir / "objects.away").c_str()) == 0);
    ObjectProbe blind(store);
    for (const std::string& h : hashes)
      for (auto kind : kKinds)
        CHECK(blind.has(h, kind) == store.has(h, kind));
    CHECK_FALSE(blind.has(file));
    CHECK(blind.has(tree, ArtifactKind::Dir));
  }
}
