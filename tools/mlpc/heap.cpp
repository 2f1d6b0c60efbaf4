// mlpc allocates through jemalloc (linked in tools/mlpc/CMakeLists.txt), for two reasons, both
// measured on the front end of the 100k-step benchmark program (bench/profile_frontend.sh):
// - The kernel clears every page the process touches, and with 4 KiB pages it also faults once
//   per page: a fifth of the parse's time. Transparent huge pages take one fault per 2 MiB, but
//   the machines here run them in "madvise" mode, where only memory asked for gets them; jemalloc
//   asks for all of its heap with `thp:always`. (glibc asks only when told by an environment
//   variable read at exec, and only for its main arena.)
// - A large file is parsed on several threads (compiler/syntax/parse_pieces.h), each allocating
//   a token, a tree node or an AST node at a time. glibc made them take turns on one arena's
//   lock, or, given an arena each, gave the command line's own thread one without huge pages;
//   jemalloc's per-thread caches take no lock for most allocations.
#ifdef MLPC_JEMALLOC
// jemalloc reads its options from this symbol at its first allocation (its documented way for
// a program to set them; MALLOC_CONF in the environment still adds to them).
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
#endif
