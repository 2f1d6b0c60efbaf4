#pragma once
/// How mlpc's heap is set up before anything allocates much (main.cpp calls it first).

namespace mlpc::cli {

/// One glibc arena for every thread, grown in large steps backed by transparent huge pages
/// where the kernel allows them on request (heap.cpp says why). Does nothing under a sanitizer,
/// whose allocator replaces glibc's.
void prepareHeap();

} // namespace mlpc::cli
