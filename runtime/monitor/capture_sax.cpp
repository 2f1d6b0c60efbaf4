#include "monitor/capture_sax.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace mlpc::monitor {

namespace {

using json = nlohmann::json;

/// Records the strings at three paths of a capture record; skips everything else.
struct RecordHandler : nlohmann::json_sax<json> {
  CaptureRecord& out;
  std::vector<std::string> path; ///< the keys down to the current value ("" inside arrays)
  std::string lastKey;           ///< the last key read in the current object
  int depth = 0;
  bool topObject = false;

  explicit RecordHandler(CaptureRecord& o) : out(o) {}

  bool at(std::initializer_list<const char*> want) const {
    if (path.size() + 1 != want.size()) return false;
    size_t i = 0;
    for (const char* w : want)
      if ((i < path.size() ? path[i++] : lastKey) != w) return false;
    return true;
  }
  bool scalar() { return depth > 0; }
  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool binary(binary_t&) override { return scalar(); }
  bool string(string_t& s) override {
    if (depth == 0) return false;
    if (at({"eventMetadata", "inferenceTime"}))
      out.when = std::move(s);
    else if (at({"captureData", "endpointInput", "encoding"}))
      out.encoding = std::move(s);
    else if (at({"captureData", "endpointInput", "data"}))
      out.data = std::move(s);
    return true;
  }
  bool start_object(std::size_t) override {
    if (depth == 0) {
      topObject = true;
    } else {
      if (at({"eventMetadata"})) out.hasMeta = true;
      if (at({"captureData", "endpointInput"})) out.hasInput = true;
      path.push_back(lastKey);
    }
    ++depth;
    lastKey.clear();
    return true;
  }
  bool key(string_t& k) override {
    lastKey = k; // a copy: moving would take the lexer's buffer, which it then reallocates
    return true;
  }
  bool end_object() override {
    --depth;
    if (!path.empty()) path.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth == 0) return false; // a record is an object
    path.push_back(lastKey);
    lastKey.clear();
    ++depth;
    return true;
  }
  bool end_array() override {
    --depth;
    path.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

/// Reads `{"instances": [item, ...]}` with flat items; any other shape stops the parse.
struct InstancesHandler : nlohmann::json_sax<json> {
  std::vector<Instance>& out;
  int depth = 0;
  bool inInstances = false, sawInstances = false;
  std::string lastKey, itemKey;

  explicit InstancesHandler(std::vector<Instance>& o) : out(o) {}

  /// A scalar's text, inside an item (depth 3); elsewhere only the top object's other keys.
  bool value(std::string text) {
    if (depth == 1) return true; // a sibling of "instances"
    if (!inInstances || depth != 3) return false;
    Instance& it = out.back();
    if (it.named)
      it.fields.emplace_back(std::move(itemKey), std::move(text));
    else
      it.values.push_back(std::move(text));
    return true;
  }
  bool null() override { return value(""); }
  bool boolean(bool b) override { return value(b ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return value(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return value(std::to_string(v)); }
  bool number_float(number_float_t v, const string_t& s) override {
    return value(std::isfinite(v) ? s : std::string());
  }
  bool binary(binary_t&) override { return false; }
  bool string(string_t& s) override { return value(std::move(s)); }
  bool start_object(std::size_t) override {
    ++depth;
    if (depth == 1) return true;
    if (!inInstances || depth != 3) return false; // another shape: read as a document
    out.push_back({true, {}, {}});
    return true;
  }
  bool key(string_t& k) override {
    if (depth == 1) lastKey = k;
    if (depth == 3) itemKey = k;
    return true;
  }
  bool end_object() override {
    --depth;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth;
    if (depth == 2 && lastKey == "instances") {
      inInstances = sawInstances = true;
      return true;
    }
    if (inInstances && depth == 3) {
      out.push_back({false, {}, {}});
      if (out.size() > 1) out.back().values.reserve(out[out.size() - 2].values.size());
      return true;
    }
    return false;
  }
  bool end_array() override {
    if (depth == 2 && inInstances) inInstances = false;
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

} // namespace

bool readCaptureRecord(const std::string& line, CaptureRecord& out) {
  RecordHandler h(out);
  return json::sax_parse(line, &h) && h.topObject;
}

bool readInstances(const std::string& body, std::vector<Instance>& out) {
  InstancesHandler h(out);
  return json::sax_parse(body, &h) && h.sawInstances;
}

} // namespace mlpc::monitor
