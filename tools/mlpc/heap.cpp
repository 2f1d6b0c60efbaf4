#include "heap.h"

#include <cstdint>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace mlpc::cli {

namespace {
// Address space the heap takes at its first growth. Untouched pages cost no memory, only a
// mapping; a program larger than this still works, its further growth on ordinary pages.
constexpr size_t kTopPad = size_t(512) << 20;
constexpr uintptr_t kPage = 4096;
} // namespace

void prepareHeap() {
  // Why: the front end of a large program (100k step calls: ~280 MB of tokens, AST and checker
  // tables) spent a fifth of its time in page faults, one per 4 KiB page
  // (bench/profile_frontend.sh; `perf record -e page-faults`). Huge pages take one fault per
  // 2 MiB. Machines here run transparent huge pages in "madvise" mode: only a mapping asked for
  // them gets them, and glibc asks only when told by GLIBC_TUNABLES, which is read at exec.
  // So: the heap grows once by kTopPad and that mapping is asked for huge pages. Later brk
  // growth stays within it; trimming keeps kTopPad free at the top, so the mapping stays.
  //
  // The command line runs on a thread with a large stack (main.cpp); a new thread would get an
  // arena of its own (mmap'd heaps, which this does not cover), so every thread shares the main
  // arena. mlpc's other threads (agent, monitors) allocate little, each through glibc's
  // per-thread cache.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, static_cast<int>(kTopPad));
  // Setting M_TOP_PAD freezes glibc's mmap threshold at 128 KiB; blocks up to 32 MiB (the
  // largest it allows), such as a token vector, come from the heap too, and its huge pages.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // Static initializers have already made the heap; a block larger than what is left at its top
  // makes it grow, by kTopPad past the block. Only that new part is asked for huge pages.
  void* before = sbrk(0);
  void* volatile block = malloc(size_t(4) << 20); // volatile: a malloc/free pair may be elided
  free(block);
  void* after = sbrk(0);
  if (before == reinterpret_cast<void*>(-1) || after <= before) return; // a sanitizer's malloc
  uintptr_t from = (reinterpret_cast<uintptr_t>(before) + kPage - 1) & ~(kPage - 1);
  uintptr_t to = reinterpret_cast<uintptr_t>(after) & ~(kPage - 1);
  if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE); // best effort
}

} // namespace mlpc::cli
