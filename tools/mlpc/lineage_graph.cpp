#include "lineage_graph.h"

#include "history_support.h"

#include "store/sha256.h"

#include <ctime>
#include <deque>
#include <functional>
#include <sstream>

namespace mlpc::cli {

store::Result<LineageGraph> walkLineage(meta::MetaStore& meta, const std::string& root,
                                        bool upstream, int maxDepth) {
  LineageGraph g;
  g.roots.push_back(root);
  std::deque<std::pair<std::string, int>> todo{{root, 0}};
  std::set<std::string> seen;
  auto loadExec = [&](const meta::ExecutionRecord& e) -> store::Status {
    if (g.executions.count(e.id)) return store::Status();
    g.executions[e.id] = e;
    auto in = meta.inputsOf(e.id);
    auto out = meta.outputsOf(e.id);
    auto code = meta.codeOf(e.id);
    if (!in || !out || !code) return store::fail("cannot read execution #" + std::to_string(e.id));
    g.inputs[e.id] = *in;
    g.outputs[e.id] = *out;
    g.code[e.id] = *code;
    for (auto& b : *in)
      g.artifacts.emplace(b.artifact.hash, b.artifact);
    for (auto& b : *out)
      g.artifacts.emplace(b.artifact.hash, b.artifact);
    return store::Status();
  };
  while (!todo.empty()) {
    auto [hash, depth] = todo.front();
    todo.pop_front();
    if (!seen.insert(hash).second || depth > maxDepth) continue;
    if (auto a = meta.getArtifact(hash); a && *a) g.artifacts.emplace(hash, **a);
    if (upstream || depth == 0) {
      auto p = meta.producerOf(hash);
      if (!p) return p.err();
      if (*p) {
        if (auto s = loadExec(**p); !s) return s.err();
        g.producer[hash] = (*p)->id;
        if (upstream)
          for (auto& b : g.inputs[(*p)->id])
            todo.push_back({b.artifact.hash, depth + 1});
      }
    }
    if (!upstream) {
      auto c = meta.consumersOf(hash);
      if (!c) return c.err();
      for (auto& e : *c) {
        if (e.status == meta::ExecStatus::Cached) continue; // the original execution stands for it
        if (auto s = loadExec(e); !s) return s.err();
        for (auto& b : g.outputs[e.id]) {
          g.producer.emplace(b.artifact.hash, e.id);
          todo.push_back({b.artifact.hash, depth + 1});
        }
      }
    }
  }
  return g;
}

namespace {

std::string artifactLine(const LineageGraph& g, const std::string& h) {
  std::string s = shortHash(h);
  auto it = g.artifacts.find(h);
  if (it != g.artifacts.end()) {
    if (!it->second.type.empty()) s += " " + it->second.type;
    s += " (" + std::to_string(it->second.size) + " bytes)";
  }
  return s;
}

std::string execLine(const meta::ExecutionRecord& e) {
  std::string s = e.node + " (" + e.step + ") in run " + e.runId + ", execution #" +
                  std::to_string(e.id) + ", " + std::string(meta::toString(e.status));
  if (e.finishedAt) s += " in " + formatDuration(*e.finishedAt - e.startedAt);
  if (!e.source.empty()) s += ", " + e.source;
  return s;
}

std::string argsText(const meta::ExecutionRecord& e) {
  plan::Json a = plan::Json::parse(e.paramsJson, nullptr, false);
  if (a.is_discarded() || !a.contains("args")) return "";
  std::string s;
  for (auto& [k, v] : a["args"].items()) {
    if (v.is_object() && v.contains("sha256")) continue;
    s += (s.empty() ? "" : ", ") + k + "=" + v.dump();
  }
  return s;
}

} // namespace

std::string lineageText(const LineageGraph& g, bool upstream) {
  std::ostringstream o;
  std::set<std::string> printed;
  std::function<void(const std::string&, const std::string&, const std::string&)> up =
      [&](const std::string& h, const std::string& prefix, const std::string& name) {
        o << (name.empty() ? "" : name + ": ") << artifactLine(g, h) << "\n";
        auto p = g.producer.find(h);
        if (p == g.producer.end()) {
          o << prefix << "└─ source data (no step made it)\n";
          return;
        }
        if (!printed.insert(h).second) {
          o << prefix << "└─ (made by execution #" << p->second << ", shown above)\n";
          return;
        }
        const auto& e = g.executions.at(p->second);
        o << prefix << "└─ made by " << execLine(e) << "\n";
        std::string inner = prefix + "   ";
        if (!e.command.empty()) o << inner << "command: " << e.command << "\n";
        if (!e.image.empty()) o << inner << "image: " << e.image << "\n";
        std::string args = argsText(e);
        if (!args.empty()) o << inner << "params: " << args << "\n";
        for (auto& c : g.code.at(e.id))
          o << inner << "code: " << c.path << " " << shortHash(c.hash) << "\n";
        const auto& ins = g.inputs.at(e.id);
        for (size_t i = 0; i < ins.size(); ++i) {
          bool last = i + 1 == ins.size();
          o << inner << (last ? "└─ " : "├─ ");
          up(ins[i].artifact.hash, inner + (last ? "   " : "│  "), ins[i].name);
        }
      };
  std::function<void(const std::string&, const std::string&)> down =
      [&](const std::string& h, const std::string& prefix) {
        o << artifactLine(g, h) << "\n";
        if (!printed.insert(h).second) return;
        std::vector<int64_t> users;
        for (auto& [id, ins] : g.inputs)
          for (auto& b : ins)
            if (b.artifact.hash == h && std::find(users.begin(), users.end(), id) == users.end())
              users.push_back(id);
        for (size_t i = 0; i < users.size(); ++i) {
          const auto& e = g.executions.at(users[i]);
          bool last = i + 1 == users.size();
          o << prefix << (last ? "└─ " : "├─ ") << "used by " << execLine(e) << "\n";
          std::string inner = prefix + (last ? "   " : "│  ");
          const auto& outs = g.outputs.at(e.id);
          for (size_t k = 0; k < outs.size(); ++k) {
            bool l2 = k + 1 == outs.size();
            o << inner << (l2 ? "└─ " : "├─ ") << outs[k].name << ": ";
            down(outs[k].artifact.hash, inner + (l2 ? "   " : "│  "));
          }
        }
      };
  for (auto& r : g.roots) {
    if (upstream)
      up(r, "", "");
    else
      down(r, "");
  }
  return o.str();
}

std::string lineageDot(const LineageGraph& g) {
  std::ostringstream o;
  o << "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (auto& [h, a] : g.artifacts)
    o << "  \"a_" << h << "\" [shape=note, label=\"" << shortHash(h) << "\\n" << a.type << "\"];\n";
  for (auto& [id, e] : g.executions)
    o << "  \"e_" << id << "\" [shape=box, style=rounded, label=\"" << e.node << "\\n"
      << e.step << "\\n"
      << e.runId << "\"];\n";
  for (auto& [id, ins] : g.inputs)
    for (auto& b : ins)
      o << "  \"a_" << b.artifact.hash << "\" -> \"e_" << id << "\" [label=\"" << b.name
        << "\"];\n";
  for (auto& [id, outs] : g.outputs)
    for (auto& b : outs)
      o << "  \"e_" << id << "\" -> \"a_" << b.artifact.hash << "\" [label=\"" << b.name
        << "\"];\n";
  o << "}\n";
  return o.str();
}

plan::Json lineageJson(const LineageGraph& g) {
  plan::Json arts = plan::Json::array(), execs = plan::Json::array();
  for (auto& [h, a] : g.artifacts)
    arts.push_back(
        {{"sha256", h},
         {"type", a.type},
         {"size", a.size},
         {"kind", std::string(store::toString(a.kind))},
         {"produced_by", g.producer.count(h) ? plan::Json(g.producer.at(h)) : plan::Json()}});
  for (auto& [id, e] : g.executions) {
    plan::Json ins = plan::Json::object(), outs = plan::Json::object(), code = plan::Json::object();
    for (auto& b : g.inputs.at(id))
      ins[b.name] = b.artifact.hash;
    for (auto& b : g.outputs.at(id))
      outs[b.name] = b.artifact.hash;
    for (auto& c : g.code.at(id))
      code[c.path] = c.hash;
    plan::Json action = plan::Json::parse(e.paramsJson, nullptr, false);
    execs.push_back(
        {{"id", id},
         {"run", e.runId},
         {"node", e.node},
         {"step", e.step},
         {"status", std::string(meta::toString(e.status))},
         {"command", e.command},
         {"image", e.image},
         {"source", e.source},
         {"started_at", e.startedAt},
         {"finished_at", e.finishedAt ? plan::Json(*e.finishedAt) : plan::Json()},
         {"exit_code", e.exitCode ? plan::Json(*e.exitCode) : plan::Json()},
         {"inputs", ins},
         {"outputs", outs},
         {"code", code},
         {"params", action.is_discarded() ? plan::Json() : action.value("args", plan::Json())},
         {"mlpc_version",
          action.is_discarded() ? plan::Json() : action.value("mlpc", plan::Json())}});
  }
  return {{"roots", g.roots}, {"artifacts", arts}, {"executions", execs}};
}

namespace {
std::string iso(double t) {
  std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>((t - static_cast<double>(s)) * 1000));
  return std::string(buf) + frac;
}
/// A stable UUID-shaped id from the run and execution (OpenLineage wants a UUID runId).
std::string uuidOf(const std::string& seed) {
  std::string h = store::sha256Bytes(seed);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-8" + h.substr(17, 3) +
         "-" + h.substr(20, 12);
}
} // namespace

plan::Json lineageOpenLineage(const LineageGraph& g) {
  plan::Json events = plan::Json::array();
  auto dataset = [](const meta::Binding& b) {
    return plan::Json{{"namespace", "mlpc"},
                      {"name", "sha256:" + b.artifact.hash},
                      {"facets",
                       {{"mlpc_artifact",
                         {{"_producer", "https://github.com/mlpc/mlpc"},
                          {"_schemaURL", "https://github.com/mlpc/mlpc/docs/runtime.md"},
                          {"type", b.artifact.type},
                          {"binding", b.name},
                          {"size", b.artifact.size}}}}}};
  };
  for (auto& [id, e] : g.executions) {
    plan::Json ev;
    ev["eventType"] =
        e.status == meta::ExecStatus::Succeeded || e.status == meta::ExecStatus::Cached ? "COMPLETE"
                                                                                        : "FAIL";
    ev["eventTime"] = iso(e.finishedAt ? *e.finishedAt : e.startedAt);
    ev["run"] = {
        {"runId", uuidOf(e.runId + "#" + std::to_string(id))},
        {"facets",
         {{"parent",
           {{"_producer", "https://github.com/mlpc/mlpc"},
            {"_schemaURL",
             "https://openlineage.io/spec/facets/1-0-0/ParentRunFacet.json#/$defs/ParentRunFacet"},
            {"run", {{"runId", uuidOf(e.runId)}}},
            {"job", {{"namespace", "mlpc"}, {"name", e.runId}}}}}}}};
    ev["job"] = {{"namespace", "mlpc"}, {"name", e.step + ":" + e.node}};
    ev["inputs"] = plan::Json::array();
    for (auto& b : g.inputs.at(id))
      ev["inputs"].push_back(dataset(b));
    ev["outputs"] = plan::Json::array();
    for (auto& b : g.outputs.at(id))
      ev["outputs"].push_back(dataset(b));
    ev["producer"] = "https://github.com/mlpc/mlpc";
    ev["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
    events.push_back(ev);
  }
  return events;
}

} // namespace mlpc::cli
