#pragma once
/// Reading JSON text into a plan::Json (an nlohmann::ordered_json), for plans and other large
/// documents. nlohmann's own DOM parser appends each member to its object as the member is
/// read, and an ordered_json object is a vector of pairs with a const key, which cannot be
/// moved: each time the vector grows, every member already read is copied with its whole
/// subtree. A plan's top-level object grows past its `nodes` array, so a 10,000-step plan's
/// array (most of the document) was copied once more, and each node's `args` with it: a seventh
/// of `mlpc run`'s page faults on a fully cached re-run. This reads through nlohmann's SAX
/// interface (its lexer and grammar, unchanged) and builds each object once it is complete.
#include "plan/plan.h"

#include <optional>
#include <string_view>

namespace mlpc::plan {

/// The same value as `Json::parse(text, nullptr, false)`, or nullopt where that is discarded
/// (the text is not one JSON value). A key given twice keeps its first place and its last
/// value, as nlohmann's parser does.
std::optional<Json> parseJson(std::string_view text);

} // namespace mlpc::plan
