#include "commands.h"
namespace mlpc::cli {
void registerExperiments(CLI::App&) {}
} // namespace mlpc::cli
