#pragma once
/// The plan: the boundary between the compiler and everything that executes or exports a
/// pipeline. It is a versioned JSON document (docs/plan-format.md) so a plan compiled once runs
/// or exports anywhere the same way; this header gives the names and helpers both sides share.
/// Nothing here knows the syntax tree.
#include <nlohmann/json.hpp>

#include <exception>
#include <optional>
#include <string>

namespace mlpc::plan {

using Json = nlohmann::ordered_json;

inline constexpr const char* kFormat = "mlpc-plan";
inline constexpr int kVersion = 1;

/// Checks the header and the presence of the top-level sections; "" when the plan is usable.
std::string validate(const Json& plan);

/// Serialises deterministically (two-space indent, keys in insertion order, trailing newline).
std::string dump(const Json& plan);

/// Parses a `--param NAME=VALUE` value for a parameter of type `type` (as written in the plan,
/// e.g. "int", "duration", "list<string>"); returns nullopt with `error` set when it does not fit.
/// For an artifact type the value is a source, `{"source": "file"|"dir"|"path", "path": ABS}`:
/// the path is made absolute against the current directory, and the run hashes its bytes.
std::optional<Json> parseParamValue(const std::string& type, const std::string& text,
                                    std::string& error);

/// Whether a plan type names an artifact (File, Dir, Dataset<…>, Model<…>, Metrics…): a
/// parameter of such a type is bound to a path whose bytes the run hashes, like a `data`.
bool isArtifactType(const std::string& type);

/// An exception's message in user terms: nlohmann's `[json.exception.type_error.302] type must
/// be number, but is string` becomes `a value has the wrong type (must be number, but is
/// string)`, so no library's internal wording reaches a user.
std::string describeException(const std::exception& e);

/// The canonical text of a value as it appears in a command: ints and floats in decimal,
/// durations in seconds, sizes in bytes, percents as their number, records as JSON.
std::string commandText(const Json& value, const std::string& type);

} // namespace mlpc::plan
