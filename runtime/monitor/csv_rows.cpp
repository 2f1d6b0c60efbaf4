#include "monitor/csv_rows.h"

#include <csv.h>

namespace mlpc::monitor {

void CsvRows::field(void* s, size_t len, void* self) {
  auto* r = static_cast<CsvRows*>(self);
  if (s)
    r->row.emplace_back(static_cast<const char*>(s), len);
  else
    r->row.emplace_back();
}

void CsvRows::end(int, void* self) {
  auto* r = static_cast<CsvRows*>(self);
  r->rows.push_back(std::move(r->row));
  r->row.clear();
}

bool parseCsvText(const std::string& text, std::vector<std::vector<std::string>>& rows,
                  std::string& error) {
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    error = "cannot start the CSV reader";
    return false;
  }
  CsvRows r;
  bool ok =
      csv_parse(&p, text.data(), text.size(), CsvRows::field, CsvRows::end, &r) == text.size() &&
      csv_fini(&p, CsvRows::field, CsvRows::end, &r) == 0;
  if (!ok) error = std::string("malformed CSV: ") + csv_strerror(csv_error(&p));
  csv_free(&p);
  if (ok) rows = std::move(r.rows);
  return ok;
}

} // namespace mlpc::monitor
