#include "commands.h"
namespace mlpc::cli {} // namespace mlpc::cli
