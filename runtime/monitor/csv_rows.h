#pragma once
/// CSV text into rows of fields, through Debian's libcsv (strict quoting; an empty field is "").
#include <string>
#include <vector>

namespace mlpc::monitor {

/// Collects libcsv's callbacks: fields, then the end of each row.
struct CsvRows {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  static void field(void* s, size_t len, void* self);
  static void end(int, void* self);
};

/// The rows of CSV `text`; false with `error` when its quoting is malformed.
bool parseCsvText(const std::string& text, std::vector<std::vector<std::string>>& rows,
                  std::string& error);

} // namespace mlpc::monitor
