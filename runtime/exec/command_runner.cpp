#include "exec/command_runner.h"

namespace mlpc::exec {

// Out of line so the vtable has one home.
CommandRunner::~CommandRunner() = default;

} // namespace mlpc::exec
