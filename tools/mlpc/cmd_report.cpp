// `mlpc report RUN -o report.html` (being written).
#include "commands.h"
namespace mlpc::cli {
void registerReport(CLI::App&) {}
} // namespace mlpc::cli
