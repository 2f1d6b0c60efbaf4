#pragma once
// A scratch directory for a runtime test, removed when it goes out of scope; the test stops if
// it cannot be made.
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <utility>

namespace mlpc::testing {

inline store::ScopedTempDir scratchDir(const char* prefix) {
  store::Result<store::ScopedTempDir> dir = store::ScopedTempDir::create(prefix);
  REQUIRE(dir.ok());
  return std::move(dir).value();
}

} // namespace mlpc::testing
