#include "commands.h"
namespace mlpc::cli {

void registerCompile(CLI::App&) {}
void registerGraph(CLI::App&) {}
void registerRuntimeCommands(CLI::App&) {}
} // namespace mlpc::cli
