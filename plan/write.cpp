// Writing the typed plan back to JSON, key for key in the order `mlpc compile` writes it
// (docs/plan-format.md), so that `dump(toJson(read(j)))` gives the bytes of `dump(j)` for every
// plan mlpc writes (tests/unit/plan/roundtrip_test.cpp checks it on every golden plan).
#include "plan/model.h"
#include "plan/plan.h"

namespace mlpc::plan {

namespace {
std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

Json named(const std::vector<NamedExpr>& xs) {
  Json o = Json::object();
  for (auto& x : xs)
    o[x.name] = toJson(x.value);
  return o;
}

Json prop(const Prop& p) {
  if (!p.expr) return p.plain;
  return Json{{"expr", toJson(p.expr)}, {"type", p.type}, {"range", p.range}};
}

Json def(const StepDef& s) {
  Json d;
  d["name"] = s.name;
  d["module"] = s.module;
  d["dir"] = s.dir;
  Json ps = Json::array();
  for (auto& p : s.params) {
    Json pj{{"name", p.name}, {"type", p.type}};
    if (p.defaultValue) pj["default"] = *p.defaultValue;
    ps.push_back(pj);
  }
  d["params"] = ps;
  if (!s.isServer) d["outputs"] = outputsJson(s);
  d["run"] = toJson(s.run);
  d["image"] = toJson(s.image);
  d["code"] = s.code;
  d["env"] = envJson(s);
  d["resources"] = Json{{"cpu", prop(s.resources.cpu)},
                        {"memory_bytes", prop(s.resources.memoryBytes)},
                        {"gpu", prop(s.resources.gpu)}};
  d["timeout_s"] = prop(s.timeoutS);
  if (!s.isServer) {
    d["retry"] = Json{{"attempts", prop(s.retry.attempts)}, {"backoff_s", prop(s.retry.backoffS)}};
    d["cache"] = Json{{"enabled", prop(s.cache.enabled)}, {"expire_s", prop(s.cache.expireS)}};
  } else {
    d["health"] = s.health;
    d["invoke"] = s.invoke;
  }
  d["range"] = s.range;
  return d;
}

Json nodes(const std::vector<Node>& list);

Json node(const Node& n) {
  Json j{{"id", n.id}, {"kind", n.kindName()}};
  if (auto* c = n.as<CallNode>()) {
    j["step"] = c->step;
    j["args"] = named(c->args);
  } else if (auto* t = n.as<TransformNode>()) {
    j["model"] = toJson(t->model);
    j["data"] = toJson(t->data);
    j["shards"] = toJson(t->shards);
    j["server"] = t->server;
    if (t->joinSource) j["join_source"] = toJson(t->joinSource);
    if (t->format != "csv") j["format"] = t->format;
  } else if (auto* v = n.as<ValueNode>()) {
    j["value"] = toJson(v->value);
    j["type"] = v->type;
  } else if (auto* f = n.as<ForNode>()) {
    j["var"] = f->var;
    j["over"] = toJson(f->over);
    j["body"] = nodes(f->body);
  } else if (auto* i = n.as<IfNode>()) {
    j["cond"] = toJson(i->cond);
    j["then"] = nodes(i->then);
    j["else"] = nodes(i->otherwise);
  } else if (auto* r = n.as<RegisterNode>()) {
    j["model"] = toJson(r->model);
    j["group"] = r->group;
    j["metrics"] = toJson(r->metrics);
    j["tags"] = named(r->tags);
  } else if (auto* fl = n.as<FailNode>()) {
    j["message"] = toJson(fl->message);
  }
  j["range"] = n.range;
  return j;
}

Json nodes(const std::vector<Node>& list) {
  Json a = Json::array();
  for (auto& n : list)
    a.push_back(node(n));
  return a;
}

template <class T, class F> Json table(const Table<T>& t, F&& f) {
  Json o = Json::object();
  for (auto& [k, v] : t)
    o[k] = f(v);
  return o;
}

Json endpoint(const Endpoint& e) {
  Json j;
  j["model"] = toJson(e.model);
  j["instances"] = e.instances;
  if (e.autoscale)
    j["autoscale"] = {{"min", e.autoscale->minInstances},
                      {"max", e.autoscale->maxInstances},
                      {"target", e.autoscale->target},
                      {"scale_out_cooldown_s", e.autoscale->scaleOutCooldownS},
                      {"scale_in_cooldown_s", e.autoscale->scaleInCooldownS}};
  Json s{{"kind", e.strategy.kind}};
  if (e.strategy.sizePercent) s["size_percent"] = *e.strategy.sizePercent;
  if (e.strategy.stepPercent) s["step_percent"] = *e.strategy.stepPercent;
  if (e.strategy.waitS) s["wait_s"] = *e.strategy.waitS;
  j["strategy"] = s;
  j["rollback"] = toJson(e.rollback);
  j["bake_s"] = e.bakeS;
  j["capture_percent"] = e.capturePercent;
  Json m{{"kind", e.mode.kind}};
  if (e.mode.idleS) m["idle_s"] = *e.mode.idleS;
  if (e.mode.queue) m["queue"] = *e.mode.queue;
  if (e.mode.maxConcurrency) m["max_concurrency"] = *e.mode.maxConcurrency;
  j["mode"] = m;
  j["range"] = e.range;
  return j;
}

} // namespace

Json envJson(const StepDef& s) {
  return named(s.env);
}

Json outputsJson(const StepDef& s) {
  Json outs = Json::array();
  for (auto& o : s.outputs) {
    Json oj{{"name", o.name}, {"type", o.type}};
    if (o.fields) {
      Json f = Json::object();
      // Dotted paths (nested metrics) become nested objects again, as the compiler wrote them.
      for (auto& [k, t] : *o.fields)
        f[Json::json_pointer("/" + replaceAll(k, ".", "/"))] = t;
      oj["fields"] = f;
    }
    outs.push_back(oj);
  }
  return outs;
}

Json toJson(const Plan& p) {
  Json j;
  j["format"] = kFormat;
  j["version"] = p.version;
  j["mlpc_version"] = p.mlpcVersion;
  j["base"] = p.base;
  j["entry"] = p.entry;
  Json params = Json::array();
  for (auto& pp : p.pipeline.params) {
    Json x{{"name", pp.name}, {"type", pp.type}};
    if (pp.defaultValue) x["default"] = *pp.defaultValue;
    x["value"] = pp.value;
    x["range"] = pp.range;
    params.push_back(x);
  }
  j["pipeline"] = Json{{"name", p.pipeline.name}, {"params", params}, {"range", p.pipeline.range}};
  j["data"] = table(p.data, [](const DataDecl& d) {
    return Json{{"type", d.type}, {"source", d.source}, {"path", d.path}, {"range", d.range}};
  });
  j["steps"] = table(p.steps, def);
  j["servers"] = table(p.servers, def);
  j["nodes"] = nodes(p.nodes);
  Json edges = Json::array();
  for (auto& [a, b] : p.edges)
    edges.push_back(Json::array({a, b}));
  j["edges"] = edges;
  j["models"] = table(p.models, [](const ModelGroup& m) {
    return Json{
        {"approval", m.approval}, {"serve", m.serve ? Json(*m.serve) : Json()}, {"range", m.range}};
  });
  j["endpoints"] = table(p.endpoints, endpoint);
  j["monitors"] = table(p.monitors, [](const Monitor& m) {
    Json x;
    x["endpoint"] = m.endpoint;
    x["baseline"] = m.trainingDataBaseline ? Json{{"kind", "training_data"}} : toJson(m.baseline);
    x["every_s"] = m.everyS;
    x["alert"] = toJson(m.alert);
    x["on_alert"] = toJson(m.onAlert);
    x["range"] = m.range;
    return x;
  });
  j["schedules"] = table(p.schedules, [](const Schedule& s) {
    Json x;
    x["run"] = toJson(s.run);
    if (s.cron) x["cron"] = *s.cron;
    if (s.everyS) x["every_s"] = *s.everyS;
    if (s.onChange) x["on_change"] = toJson(s.onChange);
    x["range"] = s.range;
    return x;
  });
  return j;
}

} // namespace mlpc::plan
