#pragma once
/// Request capture (an endpoint's `capture = P%`): that share of the requests the router answers
/// is written, with the answer, as JSON Lines in SageMaker's data-capture record format
/// (`captureData.endpointInput/endpointOutput` with `observedContentType`, `mode`, `data`,
/// `encoding`; `eventMetadata.eventId`, `inferenceTime`; `eventVersion`) into hourly files
/// `<dir>/ENDPOINT/vVERSION/YYYY/MM/DD/HH/capture.jsonl` (UTC). Thread-safe.
#include <map>
#include <mutex>
#include <string>

namespace mlpc::deploy {

class Capture {
public:
  explicit Capture(std::string dir) : dir_(std::move(dir)) {}
  /// The share of `endpoint`'s requests to keep, 0..100 (0: none, the default).
  void setPercent(const std::string& endpoint, double percent);
  /// Keeps this request and answer with the endpoint's probability.
  void offer(const std::string& endpoint, int64_t version, const std::string& requestType,
             const std::string& request, const std::string& responseType,
             const std::string& response);

private:
  std::mutex mu_;
  std::string dir_;
  std::map<std::string, double> percent_;
};

} // namespace mlpc::deploy
