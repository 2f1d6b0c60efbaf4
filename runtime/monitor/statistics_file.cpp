#include "monitor/statistics_file.h"

#include "monitor/column_accumulator.h"

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

/// One thread's share of the file: a byte range read by its own libcsv parser into its own
/// column accumulators, fed straight from libcsv's field buffer.
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

  explicit Part(size_t columnCount) : readingHeader(columnCount == 0), columns(columnCount) {
    if (csv_init(&parser, kCsvOptions) != 0) throw std::bad_alloc();
  }
  ~Part() { csv_free(&parser); }
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  bool failed() const { return badRow > 0 || csvError || readErrno != 0; }

  static void onField(void* s, size_t len, void* self) {
    auto* pt = static_cast<Part*>(self);
    std::string_view v = s ? std::string_view(static_cast<const char*>(s), len) : "";
    if (pt->readingHeader)
      pt->header.emplace_back(v);
    else if (pt->field < pt->columns.size())
      pt->columns[pt->field].add(v);
    ++pt->field;
  }
  static void onRow(int, void* self) {
    auto* pt = static_cast<Part*>(self);
    if (pt->readingHeader) {
      pt->readingHeader = false;
      pt->columns.resize(pt->header.size());
    } else if (++pt->rows, pt->field != pt->columns.size() && pt->badRow == 0) {
      pt->badRow = pt->rows;
      pt->badFields = pt->field;
    }
    pt->field = 0;
  }

  /// Parses bytes [from, to) of `fd`; stops early at its first error or when `stop` is set.
  void read(int fd, off_t from, off_t to, const std::atomic<bool>* stop = nullptr) {
    buf.resize(kChunk);
    while (from < to && !failed() && !(stop && stop->load(std::memory_order_relaxed))) {
      ssize_t n =
          pread(fd, buf.data(), std::min<size_t>(kChunk, static_cast<size_t>(to - from)), from);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) readErrno = errno;
      if (n <= 0) return;
      size_t len = static_cast<size_t>(n);
      if (csv_parse(&parser, buf.data(), len, onField, onRow, this) != len) csvError = true;
      from += n;
    }
  }
  /// The end of the file: a last record without a newline.
  void finish() {
    if (!failed() && csv_fini(&parser, onField, onRow, this) != 0) csvError = true;
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
