// The names the language defines by declaration kind: the one list the checker validates
// against and editors complete from.
#include "sema/sema.h"

#include <algorithm>
#include <filesystem>

namespace mlpc::sema {

const std::vector<std::string>& propertyNames(ast::DeclKind k) {
  // The order is the one "the properties of `step` are …" lists.
  static const std::vector<std::string> none;
  static const std::vector<std::string> step = {"run",       "image",   "code",  "env",
                                                "resources", "timeout", "retry", "cache"};
  static const std::vector<std::string> server = {"run",       "image",   "code",   "env",
                                                  "resources", "timeout", "health", "invoke"};
  static const std::vector<std::string> model = {"approval", "serve"};
  static const std::vector<std::string> endpoint = {
      "model", "instances", "autoscale", "strategy", "rollback", "bake", "capture", "mode"};
  static const std::vector<std::string> monitor = {"endpoint", "baseline", "every", "alert",
                                                   "on_alert"};
  static const std::vector<std::string> schedule = {"run", "cron", "every", "on_change"};
  switch (k) {
  case ast::DeclKind::Step:
    return step;
  case ast::DeclKind::Server:
    return server;
  case ast::DeclKind::Model:
    return model;
  case ast::DeclKind::Endpoint:
    return endpoint;
  case ast::DeclKind::Monitor:
    return monitor;
  case ast::DeclKind::Schedule:
    return schedule;
  default:
    return none;
  }
}

namespace {
Type builtin(const char* n) {
  Type t = Type::of(TypeKind::Builtin);
  t.name = n;
  return t;
}
} // namespace

const ContextNames* propertyContext(ast::DeclKind k, const std::string& prop) {
  static const ContextNames approval = {{"manual", Type::of(TypeKind::Approval)},
                                        {"auto", Type::of(TypeKind::Approval)}};
  static const ContextNames alarms = {{"error_rate", Type::of(TypeKind::Percent)},
                                      {"latency_p50", Type::of(TypeKind::Duration)},
                                      {"latency_p90", Type::of(TypeKind::Duration)},
                                      {"latency_p99", Type::of(TypeKind::Duration)},
                                      {"requests", Type::of(TypeKind::Int)}};
  static const ContextNames strategies = {{"all_at_once", builtin("all_at_once")},
                                          {"canary", builtin("canary")},
                                          {"linear", builtin("linear")}};
  static const ContextNames modes = {{"realtime", Type::of(TypeKind::Mode)},
                                     {"serverless", builtin("serverless")},
                                     {"async", builtin("async")}};
  static const ContextNames drift = {{"psi", Type::of(TypeKind::Float)},
                                     {"ks", Type::of(TypeKind::Float)},
                                     {"missing", Type::of(TypeKind::Percent)}};
  static const ContextNames baseline = {{"training_data", Type::of(TypeKind::Baseline)}};
  switch (k) {
  case ast::DeclKind::Model:
    return prop == "approval" ? &approval : nullptr;
  case ast::DeclKind::Endpoint:
    return prop == "rollback"   ? &alarms
           : prop == "strategy" ? &strategies
           : prop == "mode"     ? &modes
                                : nullptr;
  case ast::DeclKind::Monitor:
    return prop == "alert" ? &drift : prop == "baseline" ? &baseline : nullptr;
  default:
    return nullptr;
  }
}

const std::vector<RecordField>* propertyFields(ast::DeclKind k, const std::string& prop) {
  static const std::vector<RecordField> resources = {
      {"cpu", TypeKind::Float}, {"gpu", TypeKind::Int}, {"memory", TypeKind::Size}};
  static const std::vector<RecordField> retry = {{"attempts", TypeKind::Int},
                                                 {"backoff", TypeKind::Duration}};
  // SageMaker's target tracking on invocations per instance per minute.
  static const std::vector<RecordField> autoscale = {{"max", TypeKind::Int, true},
                                                     {"min", TypeKind::Int, true},
                                                     {"scale_in_cooldown", TypeKind::Duration},
                                                     {"scale_out_cooldown", TypeKind::Duration},
                                                     {"target", TypeKind::Float, true}};
  switch (k) {
  case ast::DeclKind::Step:
    return prop == "resources" ? &resources : prop == "retry" ? &retry : nullptr;
  case ast::DeclKind::Server:
    return prop == "resources" ? &resources : nullptr;
  case ast::DeclKind::Endpoint:
    return prop == "autoscale" ? &autoscale : nullptr;
  default:
    return nullptr;
  }
}

std::string fieldList(const std::vector<RecordField>& fields) {
  std::string s;
  for (auto& f : fields)
    s += (s.empty() ? "" : ", ") + f.name;
  return s;
}

const std::vector<std::string>& pipelineBuiltins() {
  static const std::vector<std::string> names = {"range",  "len",     "argmax",
                                                 "argmin", "flatten", "transform"};
  return names;
}

std::vector<std::string> stdlibModules(const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& root : roots) {
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(root) / "std", ec), end; !ec && it != end;
         it.increment(ec))
      if (it->path().extension() == ".mlp") out.push_back("std/" + it->path().stem().string());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace mlpc::sema
