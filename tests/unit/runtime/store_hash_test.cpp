// sha256 of bytes and files, and directory manifests.
#include "store/manifest.h"
#include "store/sha256.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlpc::store;

namespace {

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-hash-test-");
}

std::string opensslDigest(const std::string& path) {
  std::string cmd = "openssl dgst -sha256 -r '" + path + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  return out.substr(0, 64);
}

} // namespace

TEST_CASE("sha256 of known vectors", "[store][hash]") {
  CHECK(sha256Bytes("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256Bytes("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256Bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("incremental hashing matches one-shot and can be reused", "[store][hash]") {
  Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.finishHex() == sha256Bytes("abc"));
  h.update("");
  CHECK(h.finishHex() == sha256Bytes(""));
}

TEST_CASE("sha256File matches openssl dgst on a multi-buffer file", "[store][hash]") {
  ScopedTempDir dir = tempDir();
  std::string data;
  data.reserve(3 * kHashBufferSize + 17);
  for (size_t i = 0; i < 3 * kHashBufferSize + 17; ++i)
    data.push_back(static_cast<char>((i * 2654435761u) >> 13));
  writeFile(dir / "big.bin", data);
  Result<std::string> h = sha256File(dir / "big.bin");
  REQUIRE(h.ok());
  CHECK(*h == opensslDigest(dir / "big.bin"));
  CHECK(*h == sha256Bytes(data));

  writeFile(dir / "empty", "");
  CHECK(sha256File(dir / "empty").value() == sha256Bytes(""));
}

TEST_CASE("sha256File names the path and the OS error", "[store][hash]") {
  ScopedTempDir dir = tempDir();
  Result<std::string> h = sha256File(dir / "missing");
  REQUIRE(!h.ok());
  CHECK_THAT(h.error(), Catch::Contains(dir / "missing") && Catch::Contains("ENOENT"));
}

TEST_CASE("isSha256Hex accepts exactly 64 lower-case hex characters", "[store][hash]") {
  CHECK(isSha256Hex(sha256Bytes("x")));
  CHECK_FALSE(isSha256Hex(""));
  CHECK_FALSE(isSha256Hex(std::string(63, 'a')));
  CHECK_FALSE(isSha256Hex(std::string(64, 'A')));
  CHECK_FALSE(isSha256Hex("../" + std::string(61, 'a')));
}

TEST_CASE("the manifest is canonical text", "[store][manifest]") {
  ScopedTempDir dir = tempDir();
  std::string root = dir / "d";
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/sub").c_str(), 0755);
  ::mkdir((root + "/empty").c_str(), 0755);
  writeFile(root + "/b.txt", "bee");
  writeFile(root + "/sub/a.txt", "ay");
  writeFile(root + "/run.sh", "#!/bin/sh\n");
  ::chmod((root + "/run.sh").c_str(), 0755);

  Result<TreeHash> t = hashTree(root);
  REQUIRE(t.ok());
  std::string expected = "b.txt\tfile\t" + sha256Bytes("bee") + "\n" + "run.sh\texec\t" +
                         sha256Bytes("#!/bin/sh\n") + "\n" + "sub/a.txt\tfile\t" +
                         sha256Bytes("ay") + "\n";
  CHECK(t->manifest == expected);
  CHECK(t->hash == sha256Bytes(expected));
  CHECK(t->size == 3 + 2 + 10);
  Result<std::vector<ManifestEntry>> parsed = parseManifest(t->manifest);
  REQUIRE(parsed.ok());
  CHECK(*parsed == t->entries);
  CHECK_FALSE(parseManifest("b\tfile\t" + sha256Bytes("") + "\na\tfile\t" + sha256Bytes("") + "\n")
                  .ok()); // out of order
}

TEST_CASE("directory hashes ignore creation order and detect changes", "[store][manifest]") {
  ScopedTempDir dir = tempDir();
  std::string a = dir / "a", b = dir / "b";
  for (const std::string& d : {a, b}) {
    ::mkdir(d.c_str(), 0755);
    ::mkdir((d + "/x").c_str(), 0755);
  }
  // Same content, created in opposite orders (so readdir order likely differs too).
  writeFile(a + "/one", "1");
  writeFile(a + "/x/two", "2");
  writeFile(a + "/three", "3");
  writeFile(b + "/three", "3");
  writeFile(b + "/x/two", "2");
  writeFile(b + "/one", "1");
  ::mkdir((b + "/only-empty-dirs-differ").c_str(), 0755);
  std::string base = hashTree(a).value().hash;
  CHECK(hashTree(b).value().hash == base);

  writeFile(b + "/x/two", "2!");
  std::string changedContent = hashTree(b).value().hash;
  CHECK(changedContent != base);
  writeFile(b + "/x/two", "2");
  ::chmod((b + "/one").c_str(), 0755);
  std::string changedMode = hashTree(b).value().hash;
  CHECK(changedMode != base);
  ::chmod((b + "/one").c_str(), 0644);
  ::rename((b + "/one").c_str(), (b + "/uno").c_str());
  CHECK(hashTree(b).value().hash != base);
  ::rename((b + "/uno").c_str(), (b + "/one").c_str());
  CHECK(hashTree(b).value().hash == base);
}

TEST_CASE("symlinks and special files in a directory are errors naming the path",
          "[store][manifest]") {
  ScopedTempDir dir = tempDir();
  std::string root = dir / "d";
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/deep").c_str(), 0755);
  writeFile(root + "/ok", "fine");
  REQUIRE(::symlink("../ok", (root + "/deep/link").c_str()) == 0);
  Result<TreeHash> t = hashTree(root);
  REQUIRE(!t.ok());
  CHECK_THAT(t.error(), Catch::Contains(root + "/deep/link") && Catch::Contains("symlink"));

  ::unlink((root + "/deep/link").c_str());
  REQUIRE(::mkfifo((root + "/deep/pipe").c_str(), 0644) == 0);
  t = hashTree(root);
  REQUIRE(!t.ok());
  CHECK_THAT(t.error(), Catch::Contains(root + "/deep/pipe") && Catch::Contains("FIFO"));
}
