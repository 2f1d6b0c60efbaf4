#pragma once
/// The requests an endpoint captured in a time window, as rows of feature values: what a
/// monitoring run compares with its baseline. Capture files are SageMaker data-capture JSON Lines
/// (deploy/capture.h) in hourly directories `ENDPOINT/vVERSION/YYYY/MM/DD/HH/capture.jsonl`.
///
/// A request body becomes rows: `text/csv` (with a header row naming features, or positional),
/// `application/json` `{"instances": [...]}` of lists (positional) or objects (named). Positional
/// values take the names of `features` in order and must be as many. A record that is truncated,
/// not JSON, of another schema, base64 (neither CSV nor JSON), or whose rows cannot be matched
/// is skipped and counted, never fatal.
#include <string>
#include <vector>

namespace mlpc::monitor {

struct CaptureWindow {
  std::vector<std::string> header;            ///< every feature name seen, first seen first
  std::vector<std::vector<std::string>> rows; ///< values by header position ("" missing)
  bool named = false;                         ///< some request named its features
  long long records = 0;                      ///< capture records in the window
  long long skipped = 0;                      ///< records that could not be read
  std::vector<std::string> problems;          ///< why, for the first few skipped
};

/// Reads `endpointDir`'s records with `from <= inferenceTime < to` (ISO 8601 UTC,
/// "YYYY-MM-DDTHH:MM:SSZ": they compare as text).
CaptureWindow readCaptureWindow(const std::string& endpointDir, const std::string& from,
                                const std::string& to, const std::vector<std::string>& features);

/// `t` (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ".
std::string isoUtc(double t);

} // namespace mlpc::monitor
