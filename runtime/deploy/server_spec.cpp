#include "deploy/server_spec.h"

#include "sched/step_command.h"

#include <filesystem>
#include <unistd.h>

extern char** environ;

namespace mlpc::deploy {

namespace fs = std::filesystem;

namespace {

std::string resolveDir(const std::string& dir, const ResolveContext& ctx) {
  if (dir.rfind("@stdlib/", 0) == 0) {
    std::string rel = dir.substr(8);
    for (auto& root : ctx.stdlibDirs)
      if (fs::is_directory(fs::path(root) / rel)) return (fs::path(root) / rel).string();
    return (fs::path(ctx.stdlibDirs.empty() ? "." : ctx.stdlibDirs[0]) / rel).string();
  }
  return (fs::path(ctx.baseDir) / dir).lexically_normal().string();
}

/// The version literal of `G.version(N)`, or nullopt when it is not a plain integer.
std::optional<int64_t> literalVersion(const plan::Expr& m) {
  if (!m.index || m.index->kind != plan::ExprKind::Lit || !m.index->value.is_number_integer())
    return std::nullopt;
  return m.index->value.get<int64_t>();
}

} // namespace

std::string modelGroupOf(const plan::Endpoint& ep) {
  return ep.model && ep.model->kind == plan::ExprKind::Model ? ep.model->name : "";
}

std::string describeModelExpr(const plan::Endpoint& ep) {
  if (!ep.model || ep.model->kind != plan::ExprKind::Model) return "(not a model reference)";
  const plan::Expr& m = *ep.model;
  if (m.value.is_string()) return m.name + "." + m.value.get<std::string>();
  if (auto v = literalVersion(m)) return m.name + ".version(" + std::to_string(*v) + ")";
  return m.name + ".version(…)";
}

std::optional<ServerTemplate> resolveServer(const plan::Plan& plan, const plan::Endpoint& ep,
                                            std::optional<int64_t> pinVersion,
                                            meta::MetaStore& meta, const store::Store& store,
                                            const ResolveContext& ctx, std::string& error) {
  std::string group = modelGroupOf(ep);
  if (group.empty()) {
    error = "its `model` is not a model group reference";
    return std::nullopt;
  }
  const plan::ModelGroup* mg = plan.models.find(group);
  if (!mg || !mg->serve) {
    error = "model group `" + group + "` has no `serve` server to run its versions";
    return std::nullopt;
  }
  const plan::StepDef* def = plan.servers.find(*mg->serve);
  if (!def) {
    error = "the plan has no server `" + *mg->serve + "`";
    return std::nullopt;
  }
  auto vs = meta.listVersions(group);
  if (!vs) {
    error = "cannot read the registry: " + vs.error();
    return std::nullopt;
  }
  if (vs->empty()) {
    error = "model group `" + group + "` has no registered version (run the pipeline that " +
            "registers it first)";
    return std::nullopt;
  }
  std::optional<meta::ModelVersion> chosen;
  std::optional<int64_t> wanted = pinVersion;
  if (!wanted && ep.model->value.is_string()) {
    std::string which = ep.model->value.get<std::string>();
    for (auto it = vs->rbegin(); it != vs->rend() && !chosen; ++it) {
      if (which == "approved" && it->status != "Approved") continue;
      if (which == "latest" && it->status == "Rejected") continue;
      chosen = *it;
    }
    if (!chosen) {
      error = which == "approved" ? "no version of `" + group +
                                        "` is approved (`mlpc models approve " + group + " N`)"
                                  : "every version of `" + group + "` is rejected";
      return std::nullopt;
    }
  } else {
    if (!wanted) wanted = literalVersion(*ep.model);
    if (!wanted) {
      error = "the version is not a number known before the agent starts";
      return std::nullopt;
    }
    if (*wanted < 1 || *wanted > static_cast<int64_t>(vs->size())) {
      error = "`" + group + "` has versions 1 to " + std::to_string(vs->size()) + " only";
      return std::nullopt;
    }
    chosen = (*vs)[static_cast<size_t>(*wanted - 1)];
  }
  auto path = store.path(chosen->artifactHash, store::ArtifactKind::File);
  if (!path) {
    error = group + " version " + std::to_string(chosen->version) +
            ": its model file is missing from the store (" + path.error() + ")";
    return std::nullopt;
  }
  ServerTemplate t;
  t.group = group;
  t.version = chosen->version;
  t.artifact = chosen->artifactHash;
  t.modelPath = *path;
  t.serverKey = *mg->serve;
  t.def = *def;
  t.workdir = resolveDir(def->dir, ctx);
  if (def->health.is_string()) t.healthPath = def->health.get<std::string>();
  if (def->invoke.is_string()) t.invokePath = def->invoke.get<std::string>();
  return t;
}

bool ServerTemplate::render(int port, const std::string& logPath, SpawnRequest& out,
                            std::string& error) const {
  sched::Json args{{"model", {{"$artifact", artifact}}}};
  std::map<std::string, std::string> none;
  sched::TemplateValues tv;
  tv.args = &args;
  tv.outputs = &none;
  tv.port = port;
  tv.artifactPath = [this](const sched::Json&) { return modelPath; };
  out = SpawnRequest{};
  if (!sched::renderTemplate(def.run, tv, true, out.command, error)) return false;
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& e : def.env) {
    std::string v;
    if (!sched::renderTemplate(e.value, tv, false, v, error)) {
      error = "cannot compute `env." + e.name + "`: " + error;
      return false;
    }
    env[e.name] = v;
  }
  env["MLP_MODEL_GROUP"] = group;
  env["MLP_MODEL_VERSION"] = std::to_string(version);
  env["PYTHONDONTWRITEBYTECODE"] = "1";
  out.env.assign(env.begin(), env.end());
  out.workdir = workdir;
  out.logPath = logPath;
  return true;
}

} // namespace mlpc::deploy
