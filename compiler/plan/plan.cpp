#include "plan/plan.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace mlpc::plan {

std::string validate(const Json& plan) {
  if (!plan.is_object()) return "a plan is a JSON object";
  if (plan.value("format", "") != kFormat) return "not an mlpc plan (no \"format\": \"mlpc-plan\")";
  if (!plan.contains("version") || !plan["version"].is_number_integer())
    return "the plan has no version";
  int v = plan["version"].get<int>();
  if (v != kVersion)
    return "plan format version " + std::to_string(v) + " is not supported (this mlpc reads " +
           std::to_string(kVersion) + ")";
  for (const char* k : {"pipeline", "steps", "nodes", "data"})
    if (!plan.contains(k)) return std::string("the plan has no \"") + k + "\" section";
  return "";
}

std::string dump(const Json& plan) {
  return plan.dump(2) + "\n";
}

namespace {
std::optional<double> unitValue(const std::string& text, const std::string& kind) {
  // NUMBER UNIT with NUMBER = digits [. digits], as in the language's literals.
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == 0) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    size_t frac = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == frac) return std::nullopt;
  }
  double n = std::stod(text.substr(0, i));
  std::string u = text.substr(i);
  if (kind == "duration") {
    static const std::pair<const char*, double> us[] = {
        {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (auto& [name, f] : us)
      if (u == name) return n * f;
  } else if (kind == "size") {
    static const std::pair<const char*, double> us[] = {
        {"B", 1},         {"KB", 1e3},         {"MB", 1e6},
        {"GB", 1e9},      {"TB", 1e12},        {"KiB", 1024},
        {"MiB", 1048576}, {"GiB", 1073741824}, {"TiB", 1099511627776.0}};
    for (auto& [name, f] : us)
      if (u == name) return n * f;
  } else if (kind == "percent") {
    if (u == "%" && n <= 100) return n;
  }
  return std::nullopt;
}
} // namespace

std::optional<Json> parseParamValue(const std::string& type, const std::string& text,
                                    std::string& error) {
  try {
    if (type == "int") {
      size_t pos = 0;
      long long v = std::stoll(text, &pos);
      if (pos != text.size()) throw std::invalid_argument("");
      return Json(v);
    }
    if (type == "float") {
      size_t pos = 0;
      double v = std::stod(text, &pos);
      if (pos != text.size() || !std::isfinite(v)) throw std::invalid_argument("");
      return Json(v);
    }
  } catch (...) {
    error = "`" + text + "` is not " + (type == "int" ? "an int" : "a float");
    return std::nullopt;
  }
  if (type == "bool") {
    if (text == "true") return Json(true);
    if (text == "false") return Json(false);
    error = "`" + text + "` is not a bool (true or false)";
    return std::nullopt;
  }
  if (type == "string") return Json(text);
  if (type == "duration" || type == "size" || type == "percent") {
    auto v = unitValue(text, type);
    if (!v) {
      error = "`" + text + "` is not a " + type +
              (type == "duration" ? " (e.g. 30s, 5m)"
               : type == "size"   ? " (e.g. 512MiB)"
                                  : " between 0% and 100% (e.g. 10%)");
      return std::nullopt;
    }
    if (type == "size") return Json(static_cast<long long>(*v));
    return Json(*v);
  }
  if (type.rfind("list<", 0) == 0) {
    std::string elem = type.substr(5, type.size() - 6);
    Json parsed = Json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) {
      // A comma-separated list is the friendlier spelling on a command line.
      parsed = Json::array();
      size_t pos = 0;
      while (pos <= text.size()) {
        size_t c = text.find(',', pos);
        std::string item = text.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
        auto v = parseParamValue(elem, item, error);
        if (!v) return std::nullopt;
        parsed.push_back(*v);
        if (c == std::string::npos) break;
        pos = c + 1;
      }
      return parsed;
    }
    Json out = Json::array();
    for (auto& x : parsed) {
      auto v = parseParamValue(elem, x.is_string() ? x.get<std::string>() : x.dump(), error);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
  error = "parameters of type `" + type + "` cannot be set from the command line";
  return std::nullopt;
}

std::string commandText(const Json& value, const std::string& type) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (type == "size" || (std::floor(d) == d && std::fabs(d) < 1e15 && type != "float")) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", d);
      return buf;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    // Shortest form that round-trips, so 0.85 prints as 0.85, not 0.84999999999999998.
    for (int prec = 1; prec <= 17; ++prec) {
      char b2[64];
      std::snprintf(b2, sizeof b2, "%.*g", prec, d);
      if (std::strtod(b2, nullptr) == d) return b2;
    }
    return buf;
  }
  if (value.is_null()) return "";
  return value.dump();
}

} // namespace mlpc::plan
