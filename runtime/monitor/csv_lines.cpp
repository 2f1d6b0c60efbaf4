#include "monitor/csv_lines.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace mlpc::monitor {

LineScan scanPlainLine(const char* p, const char* end, std::vector<uint32_t>& ends) {
  ends.clear();
  size_t len = static_cast<size_t>(end - p);
#ifdef __SSE2__
  // Per 16 bytes, one bit per byte for commas, newlines and special bytes; the bits past the
  // first newline (and past `end`) are dropped.
  const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
  const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  for (size_t i = 0; i < len; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto bits = [&](__m128i c) {
      return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)));
    };
    uint32_t valid = len - i >= 16 ? 0xffffu : (uint32_t{1} << (len - i)) - 1;
    uint32_t nl = bits(newline) & valid;
    uint32_t upTo = nl ? (nl ^ (nl - 1)) : valid; // the bytes up to the newline, with it
    uint32_t special = (bits(quote) | bits(cr) | bits(space) | bits(tab)) & upTo;
    if (special) return LineScan::Special;
    for (uint32_t c = bits(comma) & upTo; c; c &= c - 1)
      ends.push_back(static_cast<uint32_t>(i) + static_cast<uint32_t>(__builtin_ctz(c)));
    if (nl) {
      ends.push_back(static_cast<uint32_t>(i) + static_cast<uint32_t>(__builtin_ctz(nl)));
      return LineScan::Plain;
    }
  }
  return LineScan::Unfinished;
#else
  for (size_t i = 0; i < len; ++i) {
    char c = p[i];
    if (c == ',' || c == '\n') ends.push_back(static_cast<uint32_t>(i));
    if (c == '\n') return LineScan::Plain;
    if (c == '"' || c == '\r' || c == ' ' || c == '\t') return LineScan::Special;
  }
  return LineScan::Unfinished;
#endif
}

} // namespace mlpc::monitor
