// The reaper frees replaced analyses off the server's thread, and frees what it still holds when
// it is destroyed (the server exiting): nothing is leaked or freed twice (the ASan build runs
// this).
#include "lsp/documents.h"
#include "lsp/reaper.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace mlpc::lsp;

namespace {

struct Freed {
  std::atomic<int> count{0};
  std::atomic<bool> offThread{false};
};

/// An analysis whose deleter records that it ran, and on which thread.
std::shared_ptr<const Analysis> tracked(Freed& f) {
  auto caller = std::this_thread::get_id();
  return std::shared_ptr<const Analysis>(new Analysis, [&f, caller](const Analysis* a) {
    f.offThread = std::this_thread::get_id() != caller;
    delete a;
    ++f.count;
  });
}

bool waitFor(const Freed& f, int n) {
  for (int i = 0; i < 500 && f.count < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return f.count == n;
}

} // namespace

TEST_CASE("released analyses are freed on the reaper's thread") {
  Reaper reaper;
  Freed f;
  reaper.release({tracked(f), tracked(f)});
  REQUIRE(waitFor(f, 2));
  CHECK(f.offThread);
}

TEST_CASE("an analysis still referenced elsewhere outlives its release") {
  Reaper reaper;
  Freed kept, dropped;
  auto held = tracked(kept);
  reaper.release({held, tracked(dropped)});
  REQUIRE(waitFor(dropped, 1));
  CHECK(kept.count == 0);
  held.reset(); // the last owner frees it, on its own thread
  CHECK(kept.count == 1);
  CHECK_FALSE(kept.offThread);
}

TEST_CASE("destroying the reaper frees what it still holds") {
  Freed f;
  {
    Reaper reaper;
    for (int i = 0; i < 100; ++i)
      reaper.release({tracked(f)});
    reaper.release({}); // an empty batch is no work
  }
  CHECK(f.count == 100);
}
