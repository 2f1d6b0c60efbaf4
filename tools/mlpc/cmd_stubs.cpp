#include "commands.h"
namespace mlpc::cli {
void registerModels(CLI::App&) {}
void registerExperiments(CLI::App&) {}
} // namespace mlpc::cli
