#pragma once
/// The fast path of reading a CSV file (statistics_file.cpp): a line that libcsv would read as
/// plain comma-separated bytes is split here, 16 bytes at a time, and only the other lines go
/// through libcsv. libcsv looks at every byte through a state machine and copies every field
/// into its own buffer: it was three tenths of `mlpc baseline`'s time (perf, 1M x 20 CSV).
///
/// A line is plain when it holds none of the bytes libcsv treats specially inside a record: the
/// quote, the carriage return, the space and the tab (libcsv trims spaces and tabs around an
/// unquoted field). Started between two records, libcsv reads such a line as exactly the
/// fields between its commas, then the end of the record; an empty line it skips.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlpc::monitor {

/// How many bytes past its end a buffer given to scanPlainLine must be readable (never used).
inline constexpr size_t kScanPadding = 16;

enum class LineScan {
  Plain,      ///< `ends` holds the offset of each field's end: its comma, the last one's '\n'
  Special,    ///< the line holds a byte libcsv treats specially: read it with libcsv
  Unfinished, ///< no '\n' before `end`
};

/// Scans the line starting at `p`, up to `end` (readable for kScanPadding bytes beyond).
LineScan scanPlainLine(const char* p, const char* end, std::vector<uint32_t>& ends);

} // namespace mlpc::monitor
