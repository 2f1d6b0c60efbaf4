#include "commands.h"
namespace mlpc::cli {

void registerRuntimeCommands(CLI::App&) {}
} // namespace mlpc::cli
