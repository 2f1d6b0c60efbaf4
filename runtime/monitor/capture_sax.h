#pragma once
/// Reading capture records without building a JSON document: nlohmann's SAX interface hands over
/// the few strings a monitoring run needs (the time, the body and its encoding) and the values of
/// a JSON body's instances as the text the client sent. A window of 100,000 records spent most of
/// its time allocating and freeing document nodes it then threw away (perf, mlpc_drift_bench).
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlpc::monitor {

/// What a capture line holds, as far as monitoring reads it.
struct CaptureRecord {
  bool hasMeta = false;                ///< `eventMetadata` is an object
  bool hasInput = false;               ///< `captureData.endpointInput` is an object
  std::optional<std::string> when;     ///< `eventMetadata.inferenceTime`, when a string
  std::optional<std::string> encoding; ///< `captureData.endpointInput.encoding`, when a string
  std::optional<std::string> data;     ///< `captureData.endpointInput.data`, when a string
};

/// False when `line` is not one JSON object.
bool readCaptureRecord(const std::string& line, CaptureRecord& out);

/// One instance of a JSON body: named values (an object) or positional ones (a list). A value is
/// its JSON text for numbers and booleans, the string itself, or "" for null.
struct Instance {
  bool named = false;
  std::vector<std::pair<std::string, std::string>> fields; ///< named
  std::vector<std::string> values;                         ///< positional
};

/// The instances of `{"instances": [...]}` whose items are flat lists or objects of scalars.
/// False for anything else (not JSON, no such list, nested values): the caller then reads the
/// body as a document, which names the problem or handles the nesting.
bool readInstances(const std::string& body, std::vector<Instance>& out);

} // namespace mlpc::monitor
