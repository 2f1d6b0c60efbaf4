#include "monitor/statistics_file.h"

#include "monitor/column_accumulator.h"
#include "monitor/csv_lines.h"

#include <csv.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace mlpc::monitor {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr unsigned char kCsvOptions = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL;
/// libcsv's parser state between two records (ROW_NOT_BEGUN in libcsv.c; csv.h makes the
/// parser's fields public but not the names of its states).
constexpr int kBetweenRecords = 0;

/// One thread's share of the file: a byte range read into its own column accumulators, its plain
/// lines split in place (csv_lines.h), the others by its own libcsv parser.
struct Part {
  bool readingHeader; ///< the first part: its first record names the columns
  std::vector<std::string> header;
  std::vector<ColumnAccumulator> columns;
  size_t field = 0;
  long long rows = 0;   ///< data rows so far
  long long badRow = 0; ///< the first data row with another number of fields
  size_t badFields = 0;
  int readErrno = 0;
  bool csvError = false;
  csv_parser parser;
  std::vector<char> buf;
  std::vector<uint32_t> ends; ///< scanPlainLine's field ends

  explicit Part(size_t columnCount) : readingHeader(columnCount == 0), columns(columnCount) {
    if (csv_init(&parser, kCsvOptions) != 0) throw std::bad_alloc();
  }
  ~Part() { csv_free(&parser); }
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  bool failed() const { return badRow > 0 || csvError || readErrno != 0; }

  void onField(std::string_view v) {
    if (readingHeader)
      header.emplace_back(v);
    else if (field < columns.size())
      columns[field].add(v);
    ++field;
  }
  void onRow() {
    if (readingHeader) {
      readingHeader = false;
      columns.resize(header.size());
    } else if (++rows, field != columns.size() && badRow == 0) {
      badRow = rows;
      badFields = field;
    }
    field = 0;
  }
  static void onCsvField(void* s, size_t len, void* self) {
    static_cast<Part*>(self)->onField(s ? std::string_view(static_cast<const char*>(s), len) : "");
  }
  static void onCsvRow(int, void* self) { static_cast<Part*>(self)->onRow(); }

  /// Bytes through libcsv (a line it must read, or the tail of a read).
  void parseCsv(const char* p, size_t len) {
    if (csv_parse(&parser, p, len, onCsvField, onCsvRow, this) != len) csvError = true;
  }

  /// Parses the lines of `b` (kScanPadding readable bytes beyond `len`): plain lines
  /// (csv_lines.h) directly, the others through libcsv. Returns where an unfinished plain line
  /// starts, to be read again with the bytes that follow, or `len`.
  size_t parseLines(const char* b, size_t len) {
    size_t pos = 0;
    while (pos < len && !csvError) {
      LineScan scan = parser.pstate == kBetweenRecords ? scanPlainLine(b + pos, b + len, ends)
                                                       : LineScan::Special;
      if (scan == LineScan::Plain) {
        const char* line = b + pos;
        pos += ends.back() + 1;
        if (ends.size() == 1 && ends[0] == 0) continue; // an empty line, which libcsv skips
        uint32_t start = 0;
        for (uint32_t e : ends) {
          onField(std::string_view(line + start, e - start));
          start = e + 1;
        }
        onRow();
      } else if (scan == LineScan::Unfinished && pos > 0) {
        return pos;
      } else { // libcsv, up to the end of this line (a quoted field may hold more lines)
        const auto* nl = static_cast<const char*>(std::memchr(b + pos, '\n', len - pos));
        size_t to = nl ? static_cast<size_t>(nl - b) + 1 : len;
        parseCsv(b + pos, to - pos);
        pos = to;
      }
    }
    return len;
  }

  /// Parses bytes [from, to) of `fd`; stops early at its first error or when `stop` is set.
  void read(int fd, off_t from, off_t to, const std::atomic<bool>* stop = nullptr) {
    buf.resize(kChunk + kScanPadding);
    size_t kept = 0; // an unfinished plain line at the front of buf
    while (from < to && !failed() && !(stop && stop->load(std::memory_order_relaxed))) {
      ssize_t n = pread(fd, buf.data() + kept,
                        std::min<size_t>(kChunk - kept, static_cast<size_t>(to - from)), from);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) readErrno = errno;
      if (n <= 0) break;
      from += n;
      size_t len = kept + static_cast<size_t>(n);
      size_t done = parseLines(buf.data(), len);
      kept = len - done;
      std::memmove(buf.data(), buf.data() + done, kept);
    }
    if (kept > 0 && !failed()) parseCsv(buf.data(), kept);
  }
  /// The end of the file: a last record without a newline.
  void finish() {
    if (!failed() && csv_fini(&parser, onCsvField, onCsvRow, this) != 0) csvError = true;
  }

  /// This part's error, its rows numbered after the `rowsBefore` of earlier parts (the header is
  /// row 1).
  std::string error(long long rowsBefore) {
    if (readErrno != 0) return std::string("cannot read: ") + std::strerror(readErrno);
    if (badRow > 0)
      return "row " + std::to_string(rowsBefore + badRow + 1) + " has " +
             std::to_string(badFields) + " fields, the header has " +
             std::to_string(columns.size());
    return "not valid CSV after row " + std::to_string(rowsBefore + rows + 1) + ": " +
           csv_strerror(csv_error(&parser));
  }
};

/// The number of fields of the header row when it ends before byte `limit`, else 0.
size_t headerColumns(int fd, off_t limit) {
  struct Count {
    size_t fields = 0;
    bool done = false;
  } count;
  csv_parser p;
  if (csv_init(&p, kCsvOptions) != 0) return 0;
  std::vector<char> buf(size_t{64} << 10);
  for (off_t at = 0; !count.done && at < limit;) {
    ssize_t n = pread(fd, buf.data(), buf.size(), at);
    if (n <= 0) break;
    size_t len = static_cast<size_t>(n);
    auto onField = [](void*, size_t, void* c) {
      if (!static_cast<Count*>(c)->done) ++static_cast<Count*>(c)->fields;
    };
    auto onRow = [](int, void* c) { static_cast<Count*>(c)->done = true; };
    if (csv_parse(&p, buf.data(), len, onField, onRow, &count) != len) break;
    at += n;
  }
  csv_free(&p);
  return count.done ? count.fields : 0;
}

/// The offset just past the first newline at or after `from`, or `size` when there is none.
off_t afterNewline(int fd, off_t from, off_t size) {
  std::vector<char> buf(size_t{64} << 10);
  while (from < size) {
    ssize_t n = pread(fd, buf.data(), buf.size(), from);
    if (n <= 0) return size;
    if (auto* nl = static_cast<char*>(std::memchr(buf.data(), '\n', static_cast<size_t>(n))))
      return from + (nl - buf.data()) + 1;
    from += n;
  }
  return size;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

} // namespace

std::optional<DatasetStats> readStatistics(const std::string& csvPath, std::string& error,
                                           size_t splitFrom, bool* split) {
  Fd f{open(csvPath.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (f.fd < 0 || fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = csvPath + ": cannot open";
    return std::nullopt;
  }
  off_t size = st.st_size;
  Part first(0);
  std::unique_ptr<Part> second;
  std::atomic<bool> stop{false};
  std::thread secondThread;
  off_t mid = size;
  if (static_cast<size_t>(size) >= splitFrom) {
    size_t columns = headerColumns(f.fd, size / 2);
    off_t cut = afterNewline(f.fd, size / 2, size);
    if (columns > 0 && cut < size) {
      mid = cut;
      second = std::make_unique<Part>(columns);
      secondThread = std::thread([&] {
        second->read(f.fd, mid, size, &stop);
        second->finish();
      });
    }
  }
  first.read(f.fd, 0, mid);
  if (second) {
    bool boundary = !first.failed() && first.parser.pstate == kBetweenRecords &&
                    first.columns.size() == second->columns.size();
    if (!boundary) stop = true;
    secondThread.join();
    if (!boundary) {
      second.reset(); // the cut was inside a record (or the first half failed): read on
      first.read(f.fd, mid, size);
    }
  }
  first.finish();
  if (first.failed()) {
    error = csvPath + ": " + first.error(0);
    return std::nullopt;
  }
  if (first.readingHeader) {
    error = csvPath + ": empty (no header row)";
    return std::nullopt;
  }
  if (second && second->failed()) {
    error = csvPath + ": " + second->error(first.rows);
    return std::nullopt;
  }
  // Columns merge and finish independently: after a split read, every other one on a second
  // thread (finishing a numeric column walks its whole sketch; nothing else runs meanwhile).
  size_t n = first.columns.size();
  DatasetStats out;
  out.columns.resize(n);
  std::atomic<bool> merged{true};
  size_t step = second && n > 1 ? 2 : 1;
  auto finish = [&](size_t from) {
    for (size_t c = from; c < n && merged; c += step) {
      if (second && !first.columns[c].merge(std::move(second->columns[c])))
        merged = false;
      else
        out.columns[c] = first.columns[c].finish(first.header[c], kSketchSize, kTopValues);
    }
  };
  std::thread other;
  if (step == 2) other = std::thread(finish, 1);
  finish(0);
  if (other.joinable()) other.join();
  if (!merged) return readStatistics(csvPath, error, SIZE_MAX, split); // rare: see merge()
  if (split) *split = second != nullptr;
  out.rows = first.rows + (second ? second->rows : 0);
  return out;
}

std::optional<DatasetStats> computeStatistics(const std::string& csvPath, std::string& error) {
  return readStatistics(csvPath, error, kSplitFrom);
}

} // namespace mlpc::monitor
