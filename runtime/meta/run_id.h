#pragma once
/// Run ids: `r-YYYYMMDD-HHMMSS-xxxx` (UTC start time, then 4 random hex digits). They sort by
/// start time, are short enough to type, and a prefix like `r-20250101` selects a day.
#include <cstdint>
#include <string>

namespace mlpc::meta {

std::string makeRunId(double startedAtUnixSeconds, uint32_t random);
/// A fresh random suffix source (not cryptographic; uniqueness is enforced by the database).
uint32_t randomRunSuffix();

} // namespace mlpc::meta
