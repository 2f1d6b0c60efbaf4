#pragma once
// Where a large file can be cut so that each piece parses on its own thread (parse.cpp).
#include <cstdint>
#include <string_view>
#include <vector>

namespace mlpc::syntax {

/// Up to `pieces - 1` byte offsets, ascending, each near an equal share of `text`, where a line
/// starts with a statement `name = …` directly inside a pipeline's body. Found by a scan that
/// follows the lexer's rules for comments and strings and counts brackets; it may be fooled by a
/// file with errors, and then a piece fails to parse and the file is parsed whole (parse.cpp),
/// so a wrong cut costs time and never changes a result.
std::vector<uint32_t> pipelineCuts(std::string_view text, unsigned pieces);

} // namespace mlpc::syntax
