#pragma once
// Force-included before every C++ source (CMakeLists.txt). nlohmann::json checks some of its
// preconditions only with assert(), e.g. reading a key that a const object lacks: undefined
// behaviour in a release build, an abort in a debug one. Plans and recorded run files are user
// input, so those checks throw in every build instead; the runtime reports the exception as a
// plan it cannot run (sched::Executor::run), and plan::validate catches the usual shapes first.
#include <stdexcept>
#include <string>

// A function, not a throw expression: inside nlohmann's noexcept functions a failed check still
// ends the process (as assert did), and GCC does not flag every such site with -Wterminate.
[[noreturn]] inline void mlpcJsonAssertFailed(const char* what) {
  throw std::logic_error(std::string("a value is missing or of the wrong kind (") + what + ")");
}

#define JSON_ASSERT(x) ((x) ? static_cast<void>(0) : mlpcJsonAssertFailed(#x))
