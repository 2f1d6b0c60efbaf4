// Writing the typed plan's JSON text straight from the model: the bytes of
// `dump(toJson(plan))` (two-space indent, keys in the order of plan/write.cpp), without building
// the JSON tree first. A 100k-step plan's tree and its serialisation were about a fifth of
// `mlpc compile`'s time (docs/speed.md). tests/unit/plan/model_test.cpp compares the two on every
// golden plan and on mutated ones, so they cannot drift: a change to the plan's JSON form is made
// in plan/write.cpp and here together.
#include "plan/model.h"
#include "plan/plan.h"

#include <charconv>
#include <string_view>

namespace mlpc::plan {

namespace {

/// nlohmann's pretty printer, one token at a time: an element of an object or a list starts on
/// its own line, indented two spaces per level; an empty container is `{}` or `[]`.
class TextWriter {
public:
  explicit TextWriter(std::string& out) : out_(out) {}

  void open(char bracket) {
    out_ += bracket;
    empty_.push_back(true);
  }
  void close(char bracket) {
    bool wasEmpty = empty_.back();
    empty_.pop_back();
    if (!wasEmpty) newline();
    out_ += bracket;
  }
  /// Starts the next element of the list being written.
  void item() {
    if (!empty_.back()) out_ += ',';
    empty_.back() = false;
    newline();
  }
  /// Starts the next member of the object being written.
  void key(std::string_view k) {
    item();
    str(k);
    out_ += ": ";
  }

  void field(std::string_view k, std::string_view s) {
    key(k);
    str(s);
  }

  void str(std::string_view s) {
    // Printable ASCII other than `"` and `\` is written as it is (as nlohmann writes it); other
    // text goes through nlohmann's own escaping, which also refuses invalid UTF-8 as dump does.
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
        out_ += Json(std::string(s)).dump();
        return;
      }
    }
    out_ += '"';
    out_ += s;
    out_ += '"';
  }
  void integer(long long v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, res.ptr);
  }
  void null() { out_ += "null"; }
  void boolean(bool b) { out_ += b ? "true" : "false"; }

  /// Any JSON value, as `dump(2)` writes it at this depth.
  void value(const Json& v) {
    switch (v.type()) {
    case Json::value_t::object:
      open('{');
      for (auto& [k, x] : v.items()) {
        key(k);
        value(x);
      }
      close('}');
      return;
    case Json::value_t::array:
      open('[');
      for (auto& x : v) {
        item();
        value(x);
      }
      close(']');
      return;
    case Json::value_t::string:
      str(v.get_ref<const std::string&>());
      return;
    case Json::value_t::number_integer:
      integer(v.get<long long>());
      return;
    default: // floats (nlohmann's shortest round-trip form), unsigned, bool, null, binary
      out_ += v.dump();
      return;
    }
  }

private:
  void newline() {
    out_ += '\n';
    out_.append(2 * empty_.size(), ' ');
  }

  std::string& out_;
  std::vector<bool> empty_; ///< per open container: nothing written in it yet
};

/// The writer for each part of the plan, in the order and shape of plan/write.cpp and
/// plan/expr.cpp (`toJson`); each function mirrors the one of the same name there.
class PlanText {
public:
  explicit PlanText(std::string& out) : w(out) {}

  void plan(const Plan& p) {
    w.open('{');
    w.field("format", kFormat);
    w.key("version");
    w.integer(p.version);
    w.field("mlpc_version", p.mlpcVersion);
    w.field("base", p.base);
    w.field("entry", p.entry);
    w.key("pipeline");
    pipeline(p.pipeline);
    w.key("data");
    table(p.data, [&](const DataDecl& d) {
      w.open('{');
      w.field("type", d.type);
      w.field("source", d.source);
      w.field("path", d.path);
      w.field("range", d.range);
      w.close('}');
    });
    w.key("steps");
    table(p.steps, [&](const StepDef& s) { def(s); });
    w.key("servers");
    table(p.servers, [&](const StepDef& s) { def(s); });
    w.key("nodes");
    nodes(p.nodes);
    w.key("edges");
    w.open('[');
    for (auto& [a, b] : p.edges) {
      w.item();
      w.open('[');
      w.item();
      w.str(a);
      w.item();
      w.str(b);
      w.close(']');
    }
    w.close(']');
    w.key("models");
    table(p.models, [&](const ModelGroup& m) {
      w.open('{');
      w.field("approval", m.approval);
      w.key("serve");
      if (m.serve)
        w.str(*m.serve);
      else
        w.null();
      w.field("range", m.range);
      w.close('}');
    });
    w.key("endpoints");
    table(p.endpoints, [&](const Endpoint& e) { endpoint(e); });
    w.key("monitors");
    table(p.monitors, [&](const Monitor& m) { monitor(m); });
    w.key("schedules");
    table(p.schedules, [&](const Schedule& s) { schedule(s); });
    w.close('}');
  }

private:
  template <class T, class F> void table(const Table<T>& t, F&& each) {
    w.open('{');
    for (auto& [k, v] : t) {
      w.key(k);
      each(v);
    }
    w.close('}');
  }

  void pipeline(const Pipeline& p) {
    w.open('{');
    w.field("name", p.name);
    w.key("params");
    w.open('[');
    for (auto& pp : p.params) {
      w.item();
      w.open('{');
      w.field("name", pp.name);
      w.field("type", pp.type);
      if (pp.defaultValue) {
        w.key("default");
        w.value(*pp.defaultValue);
      }
      w.key("value");
      w.value(pp.value);
      w.field("range", pp.range);
      w.close('}');
    }
    w.close(']');
    w.field("range", p.range);
    w.close('}');
  }

  // ---- expressions (plan/expr.cpp)
  void expr(const ExprP& e) { e ? expr(*e) : w.null(); }
  void named(const std::vector<NamedExpr>& xs) {
    w.open('{');
    for (auto& x : xs) {
      w.key(x.name);
      expr(x.value);
    }
    w.close('}');
  }
  void list(const std::vector<ExprP>& xs) {
    w.open('[');
    for (auto& x : xs) {
      w.item();
      expr(x);
    }
    w.close(']');
  }
  /// `{"KEY": NAME}`, the form of most leaves.
  void nameOnly(const char* key, const std::string& name) {
    w.open('{');
    w.field(key, name);
    w.close('}');
  }

  void expr(const Expr& e) {
    switch (e.kind) {
    case ExprKind::Lit:
      w.open('{');
      w.key("lit");
      w.value(e.value);
      w.field("type", e.type);
      w.close('}');
      return;
    case ExprKind::Param:
      return nameOnly("param", e.name);
    case ExprKind::Data:
      return nameOnly("data", e.name);
    case ExprKind::Ref:
      w.open('{');
      w.field("ref", e.name);
      if (e.output) w.field("output", *e.output);
      if (e.lifted) {
        w.key("lifted");
        w.integer(*e.lifted);
      }
      w.close('}');
      return;
    case ExprKind::Var:
      return nameOnly("var", e.name);
    case ExprKind::Field:
      w.open('{');
      w.field("field", e.name);
      w.key("of");
      expr(e.of);
      w.close('}');
      return;
    case ExprKind::Index:
      w.open('{');
      w.key("index");
      expr(e.index);
      w.key("of");
      expr(e.of);
      w.close('}');
      return;
    case ExprKind::List:
      w.open('{');
      w.key("list");
      list(e.items);
      w.close('}');
      return;
    case ExprKind::Record:
      w.open('{');
      w.key("record");
      named(e.named);
      w.close('}');
      return;
    case ExprKind::Interp:
      w.open('{');
      w.key("interp");
      w.open('[');
      for (auto& part : e.parts) {
        w.item();
        if (!part.expr) {
          w.str(part.text);
          continue;
        }
        w.open('{');
        w.key("expr");
        expr(part.expr);
        w.field("type", part.type);
        w.close('}');
      }
      w.close(']');
      w.close('}');
      return;
    case ExprKind::Op:
      w.open('{');
      w.field("op", e.name);
      w.key("args");
      list(e.items);
      w.close('}');
      return;
    case ExprKind::Call:
    case ExprKind::Pipeline:
      w.open('{');
      w.field(e.kind == ExprKind::Call ? "call" : "pipeline", e.name);
      w.key("args");
      named(e.named);
      w.close('}');
      return;
    case ExprKind::Arg:
      return nameOnly("arg", e.name);
    case ExprKind::Out:
      return nameOnly("out", e.name);
    case ExprKind::Port:
      w.open('{');
      w.key("port");
      w.boolean(true);
      w.close('}');
      return;
    case ExprKind::Metric:
      return nameOnly("metric", e.name);
    case ExprKind::Model:
      w.open('{');
      w.field("model", e.name);
      w.key("version");
      e.index ? expr(*e.index) : w.value(e.value);
      w.close('}');
      return;
    case ExprKind::Decl:
      w.open('{');
      w.field("decl", e.name);
      w.field("kind", e.type);
      w.close('}');
      return;
    case ExprKind::Builtin:
      return nameOnly("builtin", e.name);
    case ExprKind::Error:
      break;
    }
    w.open('{');
    w.key("error");
    w.boolean(true);
    w.close('}');
  }

  // ---- definitions (plan/write.cpp)
  void prop(const Prop& p) {
    if (!p.expr) return w.value(p.plain);
    w.open('{');
    w.key("expr");
    expr(p.expr);
    w.field("type", p.type);
    w.field("range", p.range);
    w.close('}');
  }

  void def(const StepDef& s) {
    w.open('{');
    w.field("name", s.name);
    w.field("module", s.module);
    w.field("dir", s.dir);
    w.key("params");
    w.open('[');
    for (auto& p : s.params) {
      w.item();
      w.open('{');
      w.field("name", p.name);
      w.field("type", p.type);
      if (p.defaultValue) {
        w.key("default");
        w.value(*p.defaultValue);
      }
      w.close('}');
    }
    w.close(']');
    // Metrics fields become nested objects again there: a few per definition, so the tree is
    // built for them rather than the nesting written twice.
    if (!s.isServer) {
      w.key("outputs");
      w.value(outputsJson(s));
    }
    w.key("run");
    expr(s.run);
    w.key("image");
    expr(s.image);
    w.key("code");
    w.open('[');
    for (auto& c : s.code) {
      w.item();
      w.str(c);
    }
    w.close(']');
    w.key("env");
    named(s.env);
    w.key("resources");
    w.open('{');
    w.key("cpu");
    prop(s.resources.cpu);
    w.key("memory_bytes");
    prop(s.resources.memoryBytes);
    w.key("gpu");
    prop(s.resources.gpu);
    w.close('}');
    w.key("timeout_s");
    prop(s.timeoutS);
    if (!s.isServer) {
      w.key("retry");
      w.open('{');
      w.key("attempts");
      prop(s.retry.attempts);
      w.key("backoff_s");
      prop(s.retry.backoffS);
      w.close('}');
      w.key("cache");
      w.open('{');
      w.key("enabled");
      prop(s.cache.enabled);
      w.key("expire_s");
      prop(s.cache.expireS);
      w.close('}');
    } else {
      w.key("health");
      w.value(s.health);
      w.key("invoke");
      w.value(s.invoke);
    }
    w.field("range", s.range);
    w.close('}');
  }

  void nodes(const std::vector<Node>& list) {
    w.open('[');
    for (auto& n : list) {
      w.item();
      node(n);
    }
    w.close(']');
  }

  void node(const Node& n) {
    w.open('{');
    w.field("id", n.id);
    w.field("kind", n.kindName());
    if (auto* c = n.as<CallNode>()) {
      w.field("step", c->step);
      w.key("args");
      named(c->args);
    } else if (auto* t = n.as<TransformNode>()) {
      w.key("model");
      expr(t->model);
      w.key("data");
      expr(t->data);
      w.key("shards");
      expr(t->shards);
      w.field("server", t->server);
      if (t->joinSource) {
        w.key("join_source");
        expr(t->joinSource);
      }
      if (t->format != "csv") w.field("format", t->format);
    } else if (auto* v = n.as<ValueNode>()) {
      w.key("value");
      expr(v->value);
      w.field("type", v->type);
    } else if (auto* f = n.as<ForNode>()) {
      w.field("var", f->var);
      w.key("over");
      expr(f->over);
      w.key("body");
      nodes(f->body);
    } else if (auto* i = n.as<IfNode>()) {
      w.key("cond");
      expr(i->cond);
      w.key("then");
      nodes(i->then);
      w.key("else");
      nodes(i->otherwise);
    } else if (auto* r = n.as<RegisterNode>()) {
      w.key("model");
      expr(r->model);
      w.field("group", r->group);
      w.key("metrics");
      expr(r->metrics);
      w.key("tags");
      named(r->tags);
    } else if (auto* fl = n.as<FailNode>()) {
      w.key("message");
      expr(fl->message);
    }
    w.field("range", n.range);
    w.close('}');
  }

  // ---- policies (plan/write.cpp)
  /// An optional plain value under `key`, written only when present.
  void optional(const char* key, const std::optional<Value>& v) {
    if (v) {
      w.key(key);
      w.value(*v);
    }
  }

  void endpoint(const Endpoint& e) {
    w.open('{');
    w.key("model");
    expr(e.model);
    w.key("instances");
    w.value(e.instances);
    if (e.autoscale) {
      // Through Json so the numbers take nlohmann's forms (`300.0`), as in plan/write.cpp.
      w.key("autoscale");
      w.open('{');
      w.key("min");
      w.value(Json(e.autoscale->minInstances));
      w.key("max");
      w.value(Json(e.autoscale->maxInstances));
      w.key("target");
      w.value(Json(e.autoscale->target));
      w.key("scale_out_cooldown_s");
      w.value(Json(e.autoscale->scaleOutCooldownS));
      w.key("scale_in_cooldown_s");
      w.value(Json(e.autoscale->scaleInCooldownS));
      w.close('}');
    }
    w.key("strategy");
    w.open('{');
    w.field("kind", e.strategy.kind);
    optional("size_percent", e.strategy.sizePercent);
    optional("step_percent", e.strategy.stepPercent);
    optional("wait_s", e.strategy.waitS);
    w.close('}');
    w.key("rollback");
    expr(e.rollback);
    w.key("bake_s");
    w.value(e.bakeS);
    w.key("capture_percent");
    w.value(e.capturePercent);
    w.key("mode");
    w.open('{');
    w.field("kind", e.mode.kind);
    optional("idle_s", e.mode.idleS);
    optional("queue", e.mode.queue);
    optional("max_concurrency", e.mode.maxConcurrency);
    w.close('}');
    w.field("range", e.range);
    w.close('}');
  }

  void monitor(const Monitor& m) {
    w.open('{');
    w.field("endpoint", m.endpoint);
    w.key("baseline");
    if (m.trainingDataBaseline) {
      w.open('{');
      w.field("kind", "training_data");
      w.close('}');
    } else {
      expr(m.baseline);
    }
    w.key("every_s");
    w.value(m.everyS);
    w.key("alert");
    expr(m.alert);
    w.key("on_alert");
    expr(m.onAlert);
    w.field("range", m.range);
    w.close('}');
  }

  void schedule(const Schedule& s) {
    w.open('{');
    w.key("run");
    expr(s.run);
    optional("cron", s.cron);
    optional("every_s", s.everyS);
    if (s.onChange) {
      w.key("on_change");
      expr(s.onChange);
    }
    w.field("range", s.range);
    w.close('}');
  }

  TextWriter w;
};

} // namespace

std::string dump(const Plan& plan) {
  std::string out;
  // About 420 bytes per top-level node in generated plans: one allocation instead of doubling.
  out.reserve((1 << 16) + 512 * plan.nodes.size());
  PlanText(out).plan(plan);
  out += '\n';
  return out;
}

} // namespace mlpc::plan
