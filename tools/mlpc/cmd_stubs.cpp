#include "commands.h"
namespace mlpc::cli {
void registerHistory(CLI::App&) {}
void registerLineage(CLI::App&) {}
void registerModels(CLI::App&) {}
void registerExperiments(CLI::App&) {}
} // namespace mlpc::cli
