#include "deploy/capture.h"

#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

namespace mlpc::deploy {

namespace {

std::string base64(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6)
      out += abc[(n >> k) & 63];
  }
  if (size_t rest = in.size() - i) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += abc[(n >> 18) & 63];
    out += abc[(n >> 12) & 63];
    out += rest == 2 ? abc[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// SageMaker's encodings: CSV and JSON bodies are kept as text, anything else as base64.
nlohmann::json captured(const std::string& type, const std::string& body, const char* mode) {
  std::string encoding = type.rfind("text/csv", 0) == 0           ? "CSV"
                         : type.rfind("application/json", 0) == 0 ? "JSON"
                                                                  : "BASE64";
  // Text that is not valid UTF-8 cannot go into JSON as it is.
  bool utf8 = true;
  try {
    (void)nlohmann::json(body).dump();
  } catch (const nlohmann::json::exception&) {
    utf8 = false;
  }
  if (!utf8) encoding = "BASE64";
  return {{"observedContentType", type},
          {"mode", mode},
          {"data", encoding == "BASE64" ? base64(body) : body},
          {"encoding", encoding}};
}

std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

} // namespace

void Capture::setPercent(const std::string& endpoint, double percent) {
  std::lock_guard lock(mu_);
  percent_[endpoint] = percent;
}

void Capture::offer(const std::string& endpoint, int64_t version, const std::string& requestType,
                    const std::string& request, const std::string& responseType,
                    const std::string& response) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  {
    std::lock_guard lock(mu_);
    auto it = percent_.find(endpoint);
    if (it == percent_.end() || it->second <= 0) return;
    if (std::uniform_real_distribution<double>(0, 100)(rng) >= it->second) return;
  }
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char when[32], hour[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::strftime(hour, sizeof hour, "%Y/%m/%d/%H", &utc);
  nlohmann::json rec{{"captureData",
                      {{"endpointInput", captured(requestType, request, "INPUT")},
                       {"endpointOutput", captured(responseType, response, "OUTPUT")}}},
                     {"eventMetadata", {{"eventId", uuid4()}, {"inferenceTime", when}}},
                     {"eventVersion", "0"}};
  std::string line = rec.dump() + "\n";
  std::filesystem::path dir =
      std::filesystem::path(dir_) / endpoint / ("v" + std::to_string(version)) / hour;
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(dir / "capture.jsonl", std::ios::app | std::ios::binary);
  out << line;
}

} // namespace mlpc::deploy
