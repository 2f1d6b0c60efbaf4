// Reading a plan's JSON into the typed model (plan/model.h). `validate` has already checked
// every field the runtime relies on; this file adds the expressions, whose forms it checks
// while it reads them, and tolerates the optional fields a hand edit may drop.
#include "plan/model.h"
#include "plan/plan.h"

namespace mlpc::plan {

namespace {
/// A Metrics output's `fields` object as (dotted path, type) pairs: nested records become
/// `regression.mse.value` (identifiers hold no dots, so the path is unambiguous).
void flattenFields(const Json& j, const std::string& prefix,
                   std::vector<std::pair<std::string, std::string>>& out) {
  for (auto& [f, t] : j.items()) {
    if (t.is_object())
      flattenFields(t, prefix + f + ".", out);
    else
      out.emplace_back(prefix + f, t.is_string() ? t.get<std::string>() : t.dump());
  }
}

class PlanReader {
public:
  explicit PlanReader(std::string& error) : error_(error) {}

  bool read(const Json& j, Plan& p) {
    p.version = j["version"].get<int>();
    p.mlpcVersion = str(j, "mlpc_version");
    p.base = str(j, "base", ".");
    p.entry = str(j, "entry");
    return pipeline(j["pipeline"], p.pipeline) && data(j["data"], p.data) &&
           defs(j["steps"], "steps", false, p.steps) &&
           (!j.contains("servers") || defs(j["servers"], "servers", true, p.servers)) &&
           nodes(j["nodes"], "nodes", p.nodes) && edges(j, p) && policies(j, p);
  }

private:
  static std::string str(const Json& j, const char* key, const char* fallback = "") {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
  }
  bool fail(const std::string& path, const std::string& what) {
    if (error_.empty()) error_ = "\"" + path + "\" " + what;
    return false;
  }
  bool expr(const Json& j, const std::string& path, ExprP& out, bool nullable = false) {
    if (nullable && j.is_null()) {
      out = nullptr;
      return true;
    }
    out = readExpr(j, path, error_);
    return out != nullptr;
  }
  bool named(const Json& j, const std::string& path, std::vector<NamedExpr>& out) {
    if (j.is_null()) return true;
    if (!j.is_object()) return fail(path, "must be an object");
    for (auto& [k, v] : j.items()) {
      NamedExpr n{k, nullptr};
      if (!expr(v, path + "." + k, n.value)) return false;
      out.push_back(std::move(n));
    }
    return true;
  }

  bool pipeline(const Json& j, Pipeline& p) {
    p.name = str(j, "name");
    p.range = str(j, "range");
    for (auto& x : j["params"]) {
      PipelineParam pp;
      pp.name = str(x, "name");
      pp.type = str(x, "type");
      if (x.contains("default")) pp.defaultValue = x["default"];
      pp.value = x["value"];
      pp.range = str(x, "range");
      p.params.push_back(std::move(pp));
    }
    return true;
  }

  bool data(const Json& j, Table<DataDecl>& out) {
    for (auto& [k, v] : j.items())
      out.add(k,
              DataDecl{str(v, "type"), str(v, "source", "path"), str(v, "path"), str(v, "range")});
    return true;
  }

  bool prop(const Json& obj, const char* key, const std::string& path, Prop& out) {
    if (!obj.is_object() || !obj.contains(key)) return true;
    const Json& v = obj[key];
    if (v.is_object() && v.contains("expr")) {
      out.type = str(v, "type");
      out.range = str(v, "range");
      return expr(v["expr"], path + ".expr", out.expr);
    }
    out.plain = v;
    return true;
  }

  bool defs(const Json& j, const std::string& section, bool servers, Table<StepDef>& out) {
    for (auto& [key, d] : j.items()) {
      std::string at = section + "." + key;
      StepDef s;
      s.isServer = servers;
      s.name = str(d, "name", key.c_str());
      s.module = str(d, "module");
      s.dir = str(d, "dir", ".");
      for (auto& x : d["params"]) {
        StepParam sp{str(x, "name"), str(x, "type"), std::nullopt};
        if (x.contains("default")) sp.defaultValue = x["default"];
        s.params.push_back(std::move(sp));
      }
      if (d.contains("outputs"))
        for (auto& x : d["outputs"]) {
          StepOutput o{str(x, "name"), str(x, "type"), std::nullopt};
          if (x.contains("fields") && x["fields"].is_object()) {
            o.fields.emplace();
            flattenFields(x["fields"], "", *o.fields);
          }
          s.outputs.push_back(std::move(o));
        }
      if (!expr(d["run"], at + ".run", s.run) || !expr(d["image"], at + ".image", s.image, true))
        return false;
      for (auto& c : d["code"])
        s.code.push_back(c.get<std::string>());
      if (!named(d["env"], at + ".env", s.env)) return false;
      const Json& r = d["resources"];
      if (!prop(r, "cpu", at + ".resources.cpu", s.resources.cpu) ||
          !prop(r, "memory_bytes", at + ".resources.memory_bytes", s.resources.memoryBytes) ||
          !prop(r, "gpu", at + ".resources.gpu", s.resources.gpu) ||
          !prop(d, "timeout_s", at + ".timeout_s", s.timeoutS))
        return false;
      if (servers) {
        s.health = d.value("health", Json());
        s.invoke = d.value("invoke", Json());
      } else if (!prop(d["retry"], "attempts", at + ".retry.attempts", s.retry.attempts) ||
                 !prop(d["retry"], "backoff_s", at + ".retry.backoff_s", s.retry.backoffS) ||
                 !prop(d["cache"], "enabled", at + ".cache.enabled", s.cache.enabled) ||
                 !prop(d["cache"], "expire_s", at + ".cache.expire_s", s.cache.expireS)) {
        return false;
      }
      // The defaults `mlpc compile` writes, for a plan that lost a key to a hand edit.
      if (!d["resources"].contains("cpu")) s.resources.cpu.plain = 1;
      if (!d["resources"].contains("gpu")) s.resources.gpu.plain = 0;
      if (!servers && !d["retry"].contains("attempts")) s.retry.attempts.plain = 1;
      if (!servers && !d["retry"].contains("backoff_s")) s.retry.backoffS.plain = 0;
      if (!servers && !d["cache"].contains("enabled")) s.cache.enabled.plain = true;
      s.range = str(d, "range");
      out.add(key, std::move(s));
    }
    return true;
  }

  bool nodes(const Json& list, const std::string& path, std::vector<Node>& out) {
    out.reserve(out.size() + list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& n = list[i];
      std::string at = path + "[" + std::to_string(i) + "]";
      Node node;
      node.id = n["id"].get<std::string>();
      node.range = str(n, "range");
      std::string kind = n["kind"].get<std::string>();
      bool ok = true;
      if (kind == "call") {
        CallNode c{n["step"].get<std::string>(), {}};
        ok = named(n["args"], at + ".args", c.args);
        node.body = std::move(c);
      } else if (kind == "transform") {
        TransformNode t;
        t.server = n["server"].get<std::string>();
        ok = expr(n["model"], at + ".model", t.model) && expr(n["data"], at + ".data", t.data) &&
             expr(n["shards"], at + ".shards", t.shards) &&
             expr(n.value("join_source", Json()), at + ".join_source", t.joinSource, true);
        t.format = n.contains("format") ? str(n, "format") : "csv";
        node.body = std::move(t);
      } else if (kind == "value") {
        ValueNode v;
        v.type = str(n, "type");
        ok = expr(n["value"], at + ".value", v.value);
        node.body = std::move(v);
      } else if (kind == "for") {
        ForNode f;
        f.var = str(n, "var");
        ok = expr(n["over"], at + ".over", f.over) && nodes(n["body"], at + ".body", f.body);
        node.body = std::move(f);
      } else if (kind == "if") {
        IfNode f;
        ok = expr(n["cond"], at + ".cond", f.cond) && nodes(n["then"], at + ".then", f.then) &&
             nodes(n.value("else", Json::array()), at + ".else", f.otherwise);
        node.body = std::move(f);
      } else if (kind == "register") {
        RegisterNode r;
        r.group = n["group"].get<std::string>();
        ok = expr(n["model"], at + ".model", r.model) &&
             expr(n["metrics"], at + ".metrics", r.metrics, true) &&
             named(n["tags"], at + ".tags", r.tags);
        node.body = std::move(r);
      } else {
        FailNode f;
        ok = expr(n["message"], at + ".message", f.message);
        node.body = std::move(f);
      }
      if (!ok) return false;
      out.push_back(std::move(node));
    }
    return true;
  }

  bool edges(const Json& j, Plan& p) {
    if (!j.contains("edges")) return true;
    const Json& e = j["edges"];
    if (!e.is_array()) return fail("edges", "must be a list of [FROM, TO] pairs");
    for (size_t i = 0; i < e.size(); ++i) {
      if (!e[i].is_array() || e[i].size() != 2 || !e[i][0].is_string() || !e[i][1].is_string())
        return fail("edges[" + std::to_string(i) + "]", "must be a [FROM, TO] pair of node ids");
      p.edges.emplace_back(e[i][0].get<std::string>(), e[i][1].get<std::string>());
    }
    return true;
  }

  /// An endpoint's `autoscale` object: every field a number, min ≥ 1, max ≥ min, target > 0.
  bool autoscale(const Json& j, const std::string& path, Endpoint& ep) {
    if (!j.is_object()) return fail(path, "must be an object");
    for (const char* k : {"min", "max", "target", "scale_out_cooldown_s", "scale_in_cooldown_s"})
      if (!j.contains(k) || !j[k].is_number()) return fail(path + "." + k, "must be a number");
    Autoscale a;
    if (!j["min"].is_number_integer() || !j["max"].is_number_integer())
      return fail(path, "needs whole numbers for min and max");
    a.minInstances = j["min"].get<int>();
    a.maxInstances = j["max"].get<int>();
    a.target = j["target"].get<double>();
    a.scaleOutCooldownS = j["scale_out_cooldown_s"].get<double>();
    a.scaleInCooldownS = j["scale_in_cooldown_s"].get<double>();
    if (a.minInstances < 1 || a.maxInstances < a.minInstances || a.target <= 0 ||
        a.scaleOutCooldownS < 0 || a.scaleInCooldownS < 0)
      return fail(path, "needs 1 <= min <= max, target > 0 and cooldowns >= 0");
    ep.autoscale = a;
    return true;
  }

  /// Whether policy section `key` is there to read; a section of the wrong kind is an error.
  bool section(const Json& j, const char* key) {
    if (!j.contains(key)) return false;
    return j[key].is_object() || fail(key, "must be an object");
  }

  bool policies(const Json& j, Plan& p) {
    if (!error_.empty()) return false;
    if (section(j, "models"))
      for (auto& [k, m] : j["models"].items()) {
        if (!m.is_object()) return fail("models." + k, "must be an object");
        ModelGroup g;
        g.approval = str(m, "approval", "manual");
        if (m.contains("serve") && m["serve"].is_string()) g.serve = m["serve"].get<std::string>();
        g.range = str(m, "range");
        p.models.add(k, std::move(g));
      }
    if (!error_.empty()) return false;
    if (section(j, "endpoints"))
      for (auto& [k, e] : j["endpoints"].items()) {
        std::string at = "endpoints." + k;
        if (!e.is_object()) return fail(at, "must be an object");
        Endpoint ep;
        if (!expr(e.value("model", Json()), at + ".model", ep.model) ||
            !expr(e.value("rollback", Json()), at + ".rollback", ep.rollback, true))
          return false;
        ep.instances = e.value("instances", Json(1));
        if (e.contains("autoscale") && !autoscale(e["autoscale"], at + ".autoscale", ep))
          return false;
        const Json s = e.value("strategy", Json::object());
        ep.strategy.kind = str(s, "kind", "all_at_once");
        auto opt = [&](const Json& o, const char* key) {
          return o.is_object() && o.contains(key) ? std::optional<Value>(o[key]) : std::nullopt;
        };
        ep.strategy.sizePercent = opt(s, "size_percent");
        ep.strategy.stepPercent = opt(s, "step_percent");
        ep.strategy.waitS = opt(s, "wait_s");
        ep.bakeS = e.value("bake_s", Json());
        ep.capturePercent = e.value("capture_percent", Json());
        const Json m = e.value("mode", Json::object());
        ep.mode.kind = str(m, "kind", "realtime");
        ep.mode.idleS = opt(m, "idle_s");
        ep.mode.queue = opt(m, "queue");
        ep.mode.maxConcurrency = opt(m, "max_concurrency");
        ep.range = str(e, "range");
        p.endpoints.add(k, std::move(ep));
      }
    if (!error_.empty()) return false;
    if (section(j, "monitors"))
      for (auto& [k, m] : j["monitors"].items()) {
        std::string at = "monitors." + k;
        if (!m.is_object()) return fail(at, "must be an object");
        Monitor mo;
        mo.endpoint = str(m, "endpoint");
        const Json b = m.value("baseline", Json());
        if (b.is_object() && b.contains("kind") && b["kind"] == "training_data")
          mo.trainingDataBaseline = true;
        else if (!expr(b, at + ".baseline", mo.baseline, true))
          return false;
        mo.everyS = m.value("every_s", Json());
        if (!expr(m.value("alert", Json()), at + ".alert", mo.alert, true) ||
            !expr(m.value("on_alert", Json()), at + ".on_alert", mo.onAlert, true))
          return false;
        mo.range = str(m, "range");
        p.monitors.add(k, std::move(mo));
      }
    if (!error_.empty()) return false;
    if (section(j, "schedules"))
      for (auto& [k, s] : j["schedules"].items()) {
        std::string at = "schedules." + k;
        if (!s.is_object()) return fail(at, "must be an object");
        Schedule sc;
        if (!expr(s.value("run", Json()), at + ".run", sc.run)) return false;
        if (s.contains("cron")) sc.cron = s["cron"];
        if (s.contains("every_s")) sc.everyS = s["every_s"];
        if (s.contains("on_change") && !expr(s["on_change"], at + ".on_change", sc.onChange))
          return false;
        sc.range = str(s, "range");
        p.schedules.add(k, std::move(sc));
      }
    return error_.empty();
  }

  std::string& error_;
};

} // namespace

std::optional<Plan> read(const Json& json, std::string& error) {
  error = validate(json);
  if (!error.empty()) return std::nullopt;
  Plan p;
  if (!PlanReader(error).read(json, p)) {
    if (error.empty()) error = "the plan cannot be read";
    return std::nullopt;
  }
  return p;
}

std::optional<Source> PipelineParam::source() const {
  if (!value.is_object() || !value.contains("path") || !value["path"].is_string())
    return std::nullopt;
  Source s;
  s.path = value["path"].get<std::string>();
  if (value.contains("source") && value["source"].is_string())
    s.source = value["source"].get<std::string>();
  return s;
}

bool PipelineParam::recordedArtifact() const {
  return value.is_object() && value.contains("$artifact") && value["$artifact"].is_string();
}

const StepOutput* StepDef::output(const std::string& n) const {
  for (auto& o : outputs)
    if (o.name == n) return &o;
  return nullptr;
}

const char* Node::kindName() const {
  static const char* const names[] = {"call", "transform", "value", "for",
                                      "if",   "register",  "fail"};
  return names[body.index()];
}

std::vector<const std::vector<Node>*> Node::children() const {
  if (auto* f = as<ForNode>()) return {&f->body};
  if (auto* i = as<IfNode>()) return {&i->then, &i->otherwise};
  return {};
}

namespace {
/// The node's own expressions (not those of nested lists), in the order the JSON has them.
std::vector<const Expr*> ownExprs(const Node& n) {
  std::vector<const Expr*> out;
  auto add = [&](const ExprP& e) {
    if (e) out.push_back(e.get());
  };
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, CallNode>) {
          for (auto& a : b.args)
            add(a.value);
        } else if constexpr (std::is_same_v<T, TransformNode>) {
          add(b.model), add(b.data), add(b.shards), add(b.joinSource);
        } else if constexpr (std::is_same_v<T, ValueNode>) {
          add(b.value);
        } else if constexpr (std::is_same_v<T, ForNode>) {
          add(b.over);
        } else if constexpr (std::is_same_v<T, IfNode>) {
          add(b.cond);
        } else if constexpr (std::is_same_v<T, RegisterNode>) {
          add(b.model), add(b.metrics);
          for (auto& t : b.tags)
            add(t.value);
        } else {
          add(b.message);
        }
      },
      n.body);
  return out;
}
} // namespace

std::vector<std::pair<std::string, int>> Node::refs() const {
  std::vector<std::pair<std::string, int>> out;
  for (auto* e : ownExprs(*this))
    refsOf(*e, out);
  return out;
}

bool Node::readsData(const std::string& key) const {
  for (auto* e : ownExprs(*this))
    if (plan::readsData(*e, key)) return true;
  return false;
}

} // namespace mlpc::plan
