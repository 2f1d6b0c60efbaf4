#pragma once
// file:// URIs <-> local paths (RFC 8089 as editors write them: percent-encoded, no host).
#include <optional>
#include <string>

namespace mlpc::lsp {

/// The local path of a `file://` URI, or nullopt for another scheme or a malformed URI.
std::optional<std::string> uriToPath(const std::string& uri);
/// `file:///abs/path`, percent-encoding what is not unreserved or `/`.
std::string pathToUri(const std::string& path);

} // namespace mlpc::lsp
