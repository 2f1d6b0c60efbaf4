// `mlpc runs`, `mlpc show RUN`, `mlpc logs RUN STEP`: what ran, when, and how it went.
#include "commands.h"
#include "history_support.h"
#include "meta/headline.h"

#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace mlpc::cli {

namespace {

plan::Json runJson(const meta::RunRecord& r) {
  double dur = r.finishedAt ? *r.finishedAt - r.startedAt : -1;
  return {
      {"id", r.id},
      {"pipeline", r.pipeline},
      {"status", std::string(meta::toString(r.status))},
      {"started_at", r.startedAt},
      {"duration_s", dur < 0 ? plan::Json() : plan::Json(dur)},
      {"ran", r.counts.ran},
      {"cached", r.counts.cached},
      {"failed", r.counts.failed},
      {"skipped", r.counts.skipped},
      {"params", plan::Json::parse(r.paramsJson, nullptr, false)},
      {"message", r.message},
      {"entry", r.entry},
      {"reproduction_of", r.reproductionOf.empty() ? plan::Json() : plan::Json(r.reproductionOf)}};
}

/// The registry read once for the runs' headline metrics (meta/headline.h); null after an error,
/// which it reports.
std::optional<meta::Headlines> loadHeadlines(meta::MetaStore& m) {
  auto h = meta::Headlines::load(m);
  if (!h) {
    std::cerr << "error: cannot read the model registry: " << h.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return std::move(*h);
}

meta::RunHeadline headlineOf(const meta::Headlines& h, const std::string& runId) {
  auto r = h.of(runId);
  return r ? *r : meta::RunHeadline{};
}

std::string fmtNum(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

} // namespace

void registerHistory(CLI::App& app) {
  {
    struct O {
      std::string ws, pipeline, sort;
      int limit = 20;
      bool json = false, ascending = false;
    };
    auto o = std::make_shared<O>();
    auto* cmd = app.add_subcommand("runs", "List runs, newest first (or sorted by a metric)");
    addWorkspaceOption(*cmd, o->ws);
    cmd->add_option("-p,--pipeline", o->pipeline, "Only runs of this pipeline");
    cmd->add_option("--sort", o->sort, "Sort by a metric, best (highest) first");
    cmd->add_flag("--ascending", o->ascending, "With --sort: lowest first");
    cmd->add_option("-n,--limit", o->limit, "How many runs (default 20; 0 for all)")
        ->check(CLI::Range(0, 1000000000));
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] {
      if (o->ascending && o->sort.empty()) {
        std::cerr << "error: --ascending orders by a metric: give --sort METRIC too\n";
        exitCode() = 2;
        return;
      }
      auto ws = openHistory(o->ws);
      if (!ws) return;
      meta::RunFilter f;
      f.pipeline = o->pipeline;
      f.limit = o->sort.empty() ? o->limit : 0;
      auto runs = ws->meta->listRuns(f);
      if (!runs) {
        std::cerr << "error: " << runs.error() << "\n";
        exitCode() = 2;
        return;
      }
      auto heads = loadHeadlines(*ws->meta);
      if (!heads) return;
      std::vector<std::pair<meta::RunRecord, meta::RunHeadline>> heading;
      std::set<std::string> metricNames;
      std::string iteratedIn; // a loop step that recorded --sort's metric, for the error
      for (auto& r : *runs) {
        auto h = headlineOf(*heads, r.id);
        for (auto& [k, _] : h.metrics)
          metricNames.insert(k);
        for (auto& [node, ms] : h.perNode)
          if (iteratedIn.empty() && meta::isIteration(node) && ms.count(o->sort)) iteratedIn = node;
        heading.push_back({r, std::move(h)});
      }
      std::vector<std::pair<meta::RunRecord, std::map<std::string, double>>> rows;
      for (auto& [r, h] : heading)
        rows.push_back({r, h.metrics});
      if (!o->sort.empty()) {
        if (!metricNames.count(o->sort)) {
          std::cerr << "error: no run" << (o->pipeline.empty() ? "" : " of " + o->pipeline)
                    << " has a metric `" << o->sort << "`";
          std::vector<std::string> names(metricNames.begin(), metricNames.end());
          std::string near = closestName(o->sort, names);
          if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
          std::cerr << "\n";
          if (!iteratedIn.empty())
            std::cerr << "note: `" << o->sort << "` is recorded per iteration of a loop (e.g. by "
                      << iteratedIn
                      << "), which is never a run's headline: register the winner with "
                         "`register … with { metrics: … }` and its metrics head the run\n";
          exitCode() = 2;
          return;
        }
        std::stable_sort(rows.begin(), rows.end(), [&](auto& a, auto& b) {
          bool ha = a.second.count(o->sort), hb = b.second.count(o->sort);
          if (ha != hb) return ha;
          if (!ha) return false;
          return o->ascending ? a.second.at(o->sort) < b.second.at(o->sort)
                              : a.second.at(o->sort) > b.second.at(o->sort);
        });
        if (o->limit > 0 && rows.size() > static_cast<size_t>(o->limit)) rows.resize(o->limit);
      }
      if (o->json) {
        plan::Json out = plan::Json::array();
        for (auto& [r, m] : rows) {
          plan::Json j = runJson(r);
          j["metrics"] = plan::Json(m);
          for (auto& [hr, h] : heading)
            if (hr.id == r.id)
              j["metrics_from"] = h.from.empty() ? plan::Json() : plan::Json(h.from);
          out.push_back(j);
        }
        std::cout << out.dump(2) << "\n";
        return;
      }
      if (rows.empty()) {
        std::cout << "no runs yet\n";
        return;
      }
      std::vector<std::string> header = {"RUN",      "PIPELINE", "STATUS", "STARTED (UTC)",
                                         "DURATION", "RAN",      "CACHED"};
      if (!o->sort.empty()) header.push_back(o->sort);
      std::vector<std::vector<std::string>> cells;
      for (auto& [r, m] : rows) {
        std::vector<std::string> c = {
            r.id,
            r.reproductionOf.empty() ? r.pipeline
                                     : r.pipeline + " (reproduces " + r.reproductionOf + ")",
            std::string(meta::toString(r.status)),
            formatTime(r.startedAt),
            r.finishedAt ? formatDuration(*r.finishedAt - r.startedAt) : "-",
            std::to_string(r.counts.ran),
            std::to_string(r.counts.cached)};
        if (!o->sort.empty()) c.push_back(m.count(o->sort) ? fmtNum(m[o->sort]) : "-");
        cells.push_back(c);
      }
      std::cout << table(header, cells);
    });
  }
  {
    struct O {
      std::string ws, run;
      bool json = false;
    };
    auto o = std::make_shared<O>();
    auto* cmd =
        app.add_subcommand("show", "Show one run: each step's status, time, cache hit, outputs");
    addWorkspaceOption(*cmd, o->ws);
    cmd->add_option("RUN", o->run, "A run id or a unique prefix of one")->required();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] {
      auto ws = openHistory(o->ws);
      if (!ws) return;
      auto r = getRunOrReport(*ws->meta, o->run);
      if (!r) return;
      auto ex = ws->meta->executionsOf(r->id);
      if (!ex) {
        std::cerr << "error: " << ex.error() << "\n";
        exitCode() = 2;
        return;
      }
      plan::Json j = runJson(*r);
      j["steps"] = plan::Json::array();
      std::vector<std::vector<std::string>> cells;
      for (auto& e : *ex) {
        auto outs = ws->meta->outputsOf(e.id);
        plan::Json oj = plan::Json::object();
        std::string outText;
        if (outs)
          for (auto& b : *outs) {
            oj[b.name] = b.artifact.hash;
            outText += (outText.empty() ? "" : " ") + b.name + "=" + shortHash(b.artifact.hash);
          }
        // Running time from the launch; queued time is the wait for a free slot before it
        // (recorded since schema v2; absent for cache hits and older runs).
        double dur = e.finishedAt ? *e.finishedAt - e.startedAt : -1;
        double queued = e.queuedAt ? e.startedAt - *e.queuedAt : -1;
        j["steps"].push_back(
            {{"node", e.node},
             {"step", e.step},
             {"status", std::string(meta::toString(e.status))},
             {"duration_s", dur < 0 ? plan::Json() : plan::Json(dur)},
             {"queued_s", queued < 0 ? plan::Json() : plan::Json(queued)},
             {"attempts", e.attempts},
             {"cached_from", e.cachedFrom ? plan::Json(*e.cachedFrom) : plan::Json()},
             {"outputs", oj},
             {"source", e.source},
             {"error", e.error},
             {"execution", e.id}});
        cells.push_back(
            {e.node, std::string(meta::toString(e.status)),
             queued < 0 ? "-" : formatDuration(queued), dur < 0 ? "-" : formatDuration(dur),
             e.cachedFrom ? "#" + std::to_string(*e.cachedFrom) : "", outText, e.source});
      }
      auto heads = loadHeadlines(*ws->meta);
      if (!heads) return;
      auto head = headlineOf(*heads, r->id);
      j["metrics"] = plan::Json(head.metrics);
      j["metrics_from"] = head.from.empty() ? plan::Json() : plan::Json(head.from);
      j["metrics_by_step"] = plan::Json(head.perNode);
      if (o->json) {
        std::cout << j.dump(2) << "\n";
        return;
      }
      std::cout << "run       " << r->id << "\n";
      std::cout << "pipeline  " << r->pipeline << " (" << r->entry << ")\n";
      std::cout << "status    " << meta::toString(r->status);
      if (!r->message.empty()) std::cout << ": " << r->message;
      std::cout << "\nstarted   " << formatTime(r->startedAt) << " UTC";
      if (r->finishedAt) std::cout << ", took " << formatDuration(*r->finishedAt - r->startedAt);
      std::cout << "\nparams    " << r->paramsJson << "\n";
      if (!head.metrics.empty()) {
        std::cout << "metrics  ";
        for (auto& [k, v] : head.metrics)
          std::cout << " " << k << "=" << fmtNum(v);
        if (!head.from.empty()) std::cout << "  (of " << head.from << ", which the run registered)";
        std::cout << "\n";
      }
      // Candidates of a loop: each iteration's metrics under its index, never as the run's.
      bool first = true;
      for (auto& [node, ms] : head.perNode) {
        if (!meta::isIteration(node)) continue;
        std::cout << (first ? "per iteration:\n" : "") << "  " << node << " ";
        for (auto& [k, v] : ms)
          std::cout << " " << k << "=" << fmtNum(v);
        std::cout << "\n";
        first = false;
      }
      std::cout << "\n"
                << table({"STEP", "STATUS", "QUEUED", "RAN", "CACHED FROM", "OUTPUTS", "SOURCE"},
                         cells);
      for (auto& e : *ex)
        if (!e.error.empty()) std::cout << "\n" << e.node << ": " << e.error << "\n";
    });
  }
  {
    struct O {
      std::string ws, run, step;
      bool onlyOut = false, onlyErr = false;
    };
    auto o = std::make_shared<O>();
    auto* cmd = app.add_subcommand("logs", "Print a step's stdout and stderr from a run");
    addWorkspaceOption(*cmd, o->ws);
    cmd->add_option("RUN", o->run, "A run id or a unique prefix")->required();
    cmd->add_option("STEP", o->step, "The step's node, e.g. `split` or `train[2]`")->required();
    cmd->add_flag("--stdout", o->onlyOut, "Only stdout");
    cmd->add_flag("--stderr", o->onlyErr, "Only stderr");
    cmd->callback([o] {
      auto ws = openHistory(o->ws);
      if (!ws) return;
      auto r = getRunOrReport(*ws->meta, o->run);
      if (!r) return;
      auto ex = ws->meta->executionsOf(r->id);
      std::vector<std::string> nodes;
      const meta::ExecutionRecord* found = nullptr;
      if (ex)
        for (auto& e : *ex) {
          nodes.push_back(e.node);
          if (e.node == o->step) found = &e;
        }
      if (!found) {
        std::cerr << "error: run " << r->id << " has no step `" << o->step << "`";
        std::string near = closestName(o->step, nodes);
        if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
        std::cerr << "\n";
        exitCode() = 2;
        return;
      }
      if (found->status == meta::ExecStatus::Skipped) {
        std::cerr << "error: step `" << o->step << "` of run " << r->id
                  << " never started, so it has no logs: " << found->error << "\n";
        exitCode() = 1;
        return;
      }
      if (found->status == meta::ExecStatus::Cached)
        std::cerr << "(cached: these are the logs of execution #"
                  << (found->cachedFrom ? *found->cachedFrom : 0) << ")\n";
      auto dump = [](const std::string& title, const std::string& path, bool header) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          std::cerr << "(no " << title << " log at " << path << ")\n";
          return;
        }
        if (header) std::cout << "==> " << title << " <==\n";
        // Streaming an empty file's buffer sets failbit on std::cout, which would swallow
        // everything printed after it (the stderr after an empty stdout).
        if (in.peek() != std::ifstream::traits_type::eof()) std::cout << in.rdbuf();
      };
      bool both = !o->onlyOut && !o->onlyErr;
      // A transform has no process of its own: its logs are its shards' (`NODE#shardI`), each
      // under a header naming the shard. A cached one points at the run that made it.
      if (found->step == "transform" && found->stdoutPath.empty()) {
        std::vector<const meta::ExecutionRecord*> shards;
        for (auto& e : *ex)
          if (e.node.rfind(o->step + "#shard", 0) == 0) shards.push_back(&e);
        if (shards.empty()) {
          std::cerr << "error: transform `" << o->step << "` of run " << r->id
                    << " ran no shard here"
                    << (found->status == meta::ExecStatus::Cached
                            ? " (it was cached: see the run of execution #" +
                                  std::to_string(found->cachedFrom ? *found->cachedFrom : 0) + ")"
                            : "")
                    << "\n";
          exitCode() = 1;
          return;
        }
        for (auto* sh : shards) {
          std::cout << "==> " << sh->node << " (" << meta::toString(sh->status) << ") <==\n";
          if (both || o->onlyOut) dump("stdout", sh->stdoutPath, both);
          if (both || o->onlyErr) dump("stderr", sh->stderrPath, both);
        }
        return;
      }
      if (both || o->onlyOut) dump("stdout", found->stdoutPath, both);
      if (both || o->onlyErr) dump("stderr", found->stderrPath, both);
    });
  }
}

} // namespace mlpc::cli
