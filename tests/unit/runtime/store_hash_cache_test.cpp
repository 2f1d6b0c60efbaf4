// HashCache: hits while the stat tuple is unchanged, misses after changes.
#include "store/hash_cache.h"
#include "store/sha256.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>

using namespace mlpc::store;

namespace {

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

/// Backdates the file's mtime so it is outside HashCache's racy window.
void setMtime(const std::string& path, time_t secondsAgo, long nsec = 0) {
  timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - secondsAgo, nsec}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-hashcache-test-");
}

} // namespace

TEST_CASE("an unchanged file is hashed once", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  std::string f = dir / "data.csv";
  writeFile(f, "a,b\n1,2\n");
  setMtime(f, 3600);
  HashCache cache;
  CHECK(cache.hashFile(f).value() == sha256Bytes("a,b\n1,2\n"));
  CHECK(cache.hashFile(f).value() == sha256Bytes("a,b\n1,2\n"));
  CHECK(cache.misses() == 1);
  CHECK(cache.hits() == 1);
}

TEST_CASE("a changed mtime or size is a miss", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  std::string f = dir / "data.csv";
  writeFile(f, "v1");
  setMtime(f, 3600);
  HashCache cache;
  REQUIRE(cache.hashFile(f).value() == sha256Bytes("v1"));

  // Same size, new content, a different (still old) mtime: must be re-read.
  writeFile(f, "v2");
  setMtime(f, 3000, 12345);
  CHECK(cache.hashFile(f).value() == sha256Bytes("v2"));
  CHECK(cache.misses() == 2);

  // Size changes are caught even if the mtime were restored.
  writeFile(f, "v3-longer");
  setMtime(f, 3000, 12345);
  CHECK(cache.hashFile(f).value() == sha256Bytes("v3-longer"));
  CHECK(cache.misses() == 3);
  CHECK(cache.hashFile(f).value() == sha256Bytes("v3-longer"));
  CHECK(cache.hits() == 1);
}

TEST_CASE("recently modified files are not remembered (racy window)", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  std::string f = dir / "fresh";
  writeFile(f, "just written");
  HashCache cache;
  REQUIRE(cache.hashFile(f).ok());
  REQUIRE(cache.hashFile(f).ok());
  CHECK(cache.hits() == 0);
  CHECK(cache.misses() == 2);
}

TEST_CASE("entries persist through the backend", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  std::string f = dir / "model.bin";
  writeFile(f, "weights");
  setMtime(f, 3600);
  MemoryHashCacheBackend backend;
  {
    HashCache first(&backend);
    REQUIRE(first.hashFile(f).ok());
    REQUIRE(first.flush().ok());
  }
  HashCache second(&backend);
  CHECK(second.hashFile(f).value() == sha256Bytes("weights"));
  CHECK(second.hits() == 1);
  CHECK(second.misses() == 0);
}

TEST_CASE("hashTree through the cache equals the uncached hash", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  std::string root = dir / "d";
  ::mkdir(root.c_str(), 0755);
  writeFile(root + "/a", "A");
  writeFile(root + "/b", "B");
  setMtime(root + "/a", 3600);
  setMtime(root + "/b", 3600);
  HashCache cache;
  std::string expected = hashTree(root).value().hash;
  CHECK(cache.hashTree(root).value().hash == expected);
  CHECK(cache.hashTree(root).value().hash == expected);
  CHECK(cache.hits() == 2);
}

TEST_CASE("hashing a missing file is an error", "[store][hashcache]") {
  ScopedTempDir dir = tempDir();
  HashCache cache;
  Result<std::string> h = cache.hashFile(dir / "nope");
  REQUIRE(!h.ok());
  CHECK_THAT(h.error(), Catch::Contains("nope"));
}
