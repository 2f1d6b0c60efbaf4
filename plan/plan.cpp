#include "plan/plan.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <vector>

namespace mlpc::plan {

namespace {

/// Shape checks for what the runtime reads from a plan. A plan is written by `mlpc compile`,
/// but it is a file: a hand edit or a half-copied file must give one clear error, not an
/// exception deep inside the executor.
class ShapeCheck {
public:
  explicit ShapeCheck(const Json& plan) : plan_(plan) {}

  std::string run() {
    optString(plan_, "base", "base") && optString(plan_, "entry", "entry") && pipeline() &&
        definitions("steps", true) && definitions("servers", false) &&
        nodes(plan_["nodes"], "nodes") && data();
    return error_;
  }

private:
  static const char* typeName(const Json& j) {
    if (j.is_object()) return "an object";
    if (j.is_array()) return "a list";
    if (j.is_string()) return "a string";
    if (j.is_boolean()) return "a bool";
    if (j.is_number()) return "a number";
    return "null";
  }
  bool fail(const std::string& path, const std::string& what, const Json* got) {
    error_ = "\"" + path + "\" " + what;
    if (got) error_ += std::string(", not ") + typeName(*got);
    return false;
  }
  bool need(const Json& j, bool ok, const std::string& path, const char* what) {
    return ok || fail(path, std::string("must be ") + what, &j);
  }
  bool requiredString(const Json& obj, const char* key, const std::string& path) {
    return need(obj.value(key, Json()), obj.contains(key) && obj[key].is_string(), path,
                "a string");
  }
  bool optString(const Json& obj, const char* key, const std::string& path) {
    return !obj.contains(key) || need(obj[key], obj[key].is_string(), path, "a string");
  }
  bool optKind(const Json& obj, const char* key, const std::string& path,
               bool (Json::*is)() const noexcept, const char* what, bool nullable = true) {
    if (!obj.contains(key) || (nullable && obj[key].is_null())) return true;
    return need(obj[key], (obj[key].*is)(), path, what);
  }
  /// A step property: a plain value of the kind `is` accepts, or an expression evaluated per
  /// call (`{"expr": E, "type": T, …}`; the expression itself is checked when it is evaluated).
  bool propValue(const Json& obj, const char* key, const std::string& path,
                 bool (Json::*is)() const noexcept, const char* what, bool nullable = true) {
    if (obj.contains(key) && obj[key].is_object()) {
      const Json& v = obj[key];
      if (!v.contains("expr") || !v["expr"].is_object())
        return fail(path + ".expr", "must be an expression object", nullptr);
      return requiredString(v, "type", path + ".type");
    }
    return optKind(obj, key, path, is, (std::string(what) + " or {\"expr\": …}").c_str(), nullable);
  }
  /// Every key `mlpc compile` always writes (docs/plan-format.md); the runtime reads them all.
  bool keys(const Json& obj, const std::string& path, std::initializer_list<const char*> required) {
    for (const char* k : required)
      if (!obj.contains(k)) return fail(path, std::string("has no \"") + k + "\"", nullptr);
    return true;
  }
  /// A list of `{name: string, type: string, …}` objects.
  bool namedList(const Json& j, const std::string& path, bool needType) {
    if (!need(j, j.is_array(), path, "a list")) return false;
    for (size_t i = 0; i < j.size(); ++i) {
      std::string at = path + "[" + std::to_string(i) + "]";
      if (!need(j[i], j[i].is_object(), at, "an object")) return false;
      if (!requiredString(j[i], "name", at + ".name")) return false;
      if (needType && !requiredString(j[i], "type", at + ".type")) return false;
    }
    return true;
  }
  bool pipeline() {
    const Json& p = plan_["pipeline"];
    if (!need(p, p.is_object(), "pipeline", "an object")) return false;
    if (!requiredString(p, "name", "pipeline.name")) return false;
    if (!keys(p, "pipeline", {"params"}) || !namedList(p["params"], "pipeline.params", true))
      return false;
    for (size_t i = 0; i < p["params"].size(); ++i)
      if (!p["params"][i].contains("value"))
        return fail("pipeline.params[" + std::to_string(i) + "]", "has no \"value\"", nullptr);
    return true;
  }
  bool definitions(const char* section, bool required) {
    const bool isStep = std::string(section) == "steps";
    if (!plan_.contains(section)) return !required || fail(section, "is missing", nullptr);
    const Json& defs = plan_[section];
    if (!need(defs, defs.is_object(), section, "an object")) return false;
    for (auto& [key, d] : defs.items()) {
      std::string at = std::string(section) + "." + key;
      if (!need(d, d.is_object(), at, "an object")) return false;
      if (!d.contains("run")) return fail(at, "has no \"run\" template", nullptr);
      if (!keys(d, at, {"dir", "params", "image", "code", "env", "resources", "timeout_s"}) ||
          (isStep && !keys(d, at, {"outputs", "retry", "cache"})) ||
          (!isStep && !keys(d, at, {"health", "invoke"})))
        return false;
      if (!optString(d, "dir", at + ".dir")) return false;
      if (d.contains("params") && !namedList(d["params"], at + ".params", true)) return false;
      if (d.contains("outputs") && !namedList(d["outputs"], at + ".outputs", true)) return false;
      if (d.contains("code")) {
        const Json& c = d["code"];
        if (!need(c, c.is_array(), at + ".code", "a list of paths")) return false;
        for (auto& f : c)
          if (!need(f, f.is_string(), at + ".code[]", "a path string")) return false;
      }
      for (const char* obj : {"env", "resources", "retry", "cache"})
        if (!optKind(d, obj, at + "." + obj, &Json::is_object, "an object", false)) return false;
      if (!propValue(d, "timeout_s", at + ".timeout_s", &Json::is_number, "a number or null"))
        return false;
      for (auto [obj, field] :
           {std::pair{"resources", "cpu"}, std::pair{"resources", "gpu"},
            std::pair{"resources", "memory_bytes"}, std::pair{"retry", "attempts"},
            std::pair{"retry", "backoff_s"}, std::pair{"cache", "expire_s"}})
        if (d.contains(obj) && !propValue(d[obj], field, at + "." + obj + "." + field,
                                          &Json::is_number, "a number or null"))
          return false;
      if (d.contains("cache") && !propValue(d["cache"], "enabled", at + ".cache.enabled",
                                            &Json::is_boolean, "a bool", false))
        return false;
    }
    return true;
  }
  bool nodes(const Json& list, const std::string& path) {
    if (!need(list, list.is_array(), path, "a list of nodes")) return false;
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& n = list[i];
      std::string at = path + "[" + std::to_string(i) + "]";
      if (!need(n, n.is_object(), at, "an object")) return false;
      for (const char* k : {"id", "kind"})
        if (!requiredString(n, k, at + "." + k)) return false;
      if (!optString(n, "range", at + ".range")) return false;
      std::string kind = n["kind"].get<std::string>();
      static const std::map<std::string, std::vector<const char*>> kRequired = {
          {"call", {"step", "args"}},
          {"transform", {"model", "data", "shards", "server"}},
          {"value", {"value", "type"}},
          {"for", {"var", "over", "body"}},
          {"if", {"cond", "then", "else"}},
          {"register", {"model", "group", "metrics", "tags"}},
          {"fail", {"message"}}};
      if (auto req = kRequired.find(kind); req != kRequired.end())
        for (const char* k : req->second)
          if (!n.contains(k)) return fail(at, std::string("has no \"") + k + "\"", nullptr);
      if (kind == "call") {
        if (!requiredString(n, "step", at + ".step")) return false;
        if (!plan_["steps"].contains(n["step"].get<std::string>()))
          return fail(at + ".step", "names no step in \"steps\"", nullptr);
        if (!optKind(n, "args", at + ".args", &Json::is_object, "an object", false)) return false;
      } else if (kind == "transform") {
        if (!requiredString(n, "server", at + ".server")) return false;
        if (!plan_.contains("servers") || !plan_["servers"].is_object() ||
            !plan_["servers"].contains(n["server"].get<std::string>()))
          return fail(at + ".server", "names no server in \"servers\"", nullptr);
      } else if (kind == "for") {
        if (!optString(n, "var", at + ".var") || !nodes(n.value("body", Json()), at + ".body"))
          return false;
      } else if (kind == "if") {
        if (!nodes(n.value("then", Json()), at + ".then") ||
            !nodes(n.value("else", Json::array()), at + ".else"))
          return false;
      } else if (kind == "register") {
        if (!requiredString(n, "group", at + ".group")) return false;
        if (!optKind(n, "tags", at + ".tags", &Json::is_object, "an object")) return false;
      } else if (kind != "value" && kind != "fail") {
        return fail(at + ".kind", "is not a node kind this mlpc knows (\"" + kind + "\")", nullptr);
      }
    }
    return true;
  }
  bool data() {
    const Json& d = plan_["data"];
    if (!need(d, d.is_object(), "data", "an object")) return false;
    for (auto& [key, v] : d.items()) {
      std::string at = "data." + key;
      if (!need(v, v.is_object(), at, "an object")) return false;
      if (!keys(v, at, {"type", "source"})) return false;
      if (!requiredString(v, "path", at + ".path") || !optString(v, "source", at + ".source") ||
          !optString(v, "type", at + ".type"))
        return false;
    }
    return true;
  }

  const Json& plan_;
  std::string error_;
};

} // namespace

std::string validate(const Json& plan) {
  if (!plan.is_object()) return "a plan is a JSON object";
  if (!plan.contains("format") || plan["format"] != kFormat)
    return "not an mlpc plan (no \"format\": \"mlpc-plan\")";
  if (!plan.contains("version") || !plan["version"].is_number_integer())
    return "the plan has no version";
  int v = plan["version"].get<int>();
  if (v != kVersion)
    return "plan format version " + std::to_string(v) + " is not supported (this mlpc reads " +
           std::to_string(kVersion) + ")";
  for (const char* k : {"pipeline", "steps", "nodes", "data"})
    if (!plan.contains(k)) return std::string("the plan has no \"") + k + "\" section";
  return ShapeCheck(plan).run();
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

bool isArtifactType(const std::string& type) {
  for (const char* k : {"File", "Dir", "Dataset", "Model", "Metrics"}) {
    size_t n = std::strlen(k);
    if (type.compare(0, n, k) == 0 && (type.size() == n || type[n] == '<' || type[n] == '{'))
      return true;
  }
  return false;
}

std::optional<Json> parseParamValue(const std::string& type, const std::string& text,
                                    std::string& error) {
  if (isArtifactType(type)) {
    if (text.empty()) {
      error = "a `" + type + "` parameter takes a path, got an empty one";
      return std::nullopt;
    }
    // A `File` must be a file and a `Dir` a directory; a Dataset or Model may be either, as a
    // `data` declaration of those types may use file(…) or dir(…).
    std::string source = type == "Dir" ? "dir" : type == "File" ? "file" : "path";
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(text, ec);
    return Json{{"source", source},
                {"path", (ec ? std::filesystem::path(text) : abs).lexically_normal().string()}};
  }
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
    // The same limits as the literals in source (E025): a size must fit in 64 bits.
    if (type == "size" && *v > 9.2e18) {
      error = "size `" + text + "` is too large";
      return std::nullopt;
    }
    if (!std::isfinite(*v)) {
      error = "`" + text + "` is out of range";
      return std::nullopt;
    }
    if (type == "size") return Json(static_cast<long long>(*v));
    return Json(*v);
  }
  if (type.rfind("list<", 0) == 0) {
    std::string elem = type.substr(5, type.size() - 6);
    if (isArtifactType(elem)) {
      // Only a parameter that is itself an artifact is hashed when a run starts.
      error = "parameters of type `" + type + "` cannot be set from the command line";
      return std::nullopt;
    }
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

std::string describeException(const std::exception& e) {
  std::string what = e.what();
  // nlohmann's messages start with "[json.exception.KIND.ID] ".
  if (what.rfind("[json.exception.", 0) == 0) {
    size_t close = what.find("] ");
    std::string kind = what.substr(16, close == std::string::npos ? 0 : close - 16);
    std::string rest = close == std::string::npos ? "" : what.substr(close + 2);
    if (rest.rfind("type ", 0) == 0) rest = rest.substr(5);
    if (kind.rfind("type_error", 0) == 0) return "a value has the wrong type (" + rest + ")";
    if (kind.rfind("out_of_range", 0) == 0) return "a value is missing (" + rest + ")";
    if (kind.rfind("parse_error", 0) == 0) return "a JSON text is not valid (" + rest + ")";
    return "an unusable JSON value (" + rest + ")";
  }
  return what;
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
    // The shortest text that reads back as the same double (std::to_chars without a format),
    // so 0.85 prints as 0.85 and 3600.0 as 3600, never 0.84999999999999998 or 3.6e+03.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
  }
  if (value.is_null()) return "";
  return value.dump();
}

} // namespace mlpc::plan
