// `mlpc compare RUN RUN…`: params and metrics side by side, differences marked.
#include "commands.h"
#include "history_support.h"
#include "meta/headline.h"

#include <iostream>
#include <map>

namespace mlpc::cli {

namespace {

std::string valueText(const plan::Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

void compare(const std::string& wsDir, const std::vector<std::string>& refs, bool json) {
  auto ws = openHistory(wsDir);
  if (!ws) return;
  if (refs.size() < 2) {
    std::cerr << "error: compare needs at least two runs\n";
    exitCode() = 2;
    return;
  }
  auto heads = meta::Headlines::load(*ws->meta);
  if (!heads) {
    std::cerr << "error: cannot read the model registry: " << heads.error() << "\n";
    exitCode() = 2;
    return;
  }
  std::vector<meta::RunRecord> runs;
  for (auto& r : refs) {
    auto run = getRunOrReport(*ws->meta, r);
    if (!run) return;
    runs.push_back(*run);
  }
  // Rows: every param and metric any of the runs has, in name order.
  std::map<std::string, std::vector<plan::Json>> params, metrics;
  for (size_t i = 0; i < runs.size(); ++i) {
    plan::Json p = plan::Json::parse(runs[i].paramsJson, nullptr, false);
    if (p.is_object())
      for (auto& [k, v] : p.items()) {
        params[k].resize(runs.size());
        params[k][i] = v;
      }
    // The run's headline metrics (a registered version's, else its steps' outside loops), then
    // each loop iteration's under its node (`scores[1].f1`): a candidate's value is never shown
    // as the run's.
    if (auto h = heads->of(runs[i].id)) {
      auto put = [&](const std::string& k, double v) {
        metrics[k].resize(runs.size());
        metrics[k][i] = v;
      };
      for (auto& [k, v] : h->metrics)
        put(k, v);
      for (auto& [node, ms] : h->perNode)
        if (meta::isIteration(node))
          for (auto& [k, v] : ms)
            put(node + "." + k, v);
    }
  }
  auto differs = [](const std::vector<plan::Json>& vs) {
    for (auto& v : vs)
      if (v != vs[0]) return true;
    return false;
  };
  if (json) {
    plan::Json out{{"runs", plan::Json::array()},
                   {"params", plan::Json::object()},
                   {"metrics", plan::Json::object()}};
    for (auto& r : runs)
      out["runs"].push_back({{"id", r.id}, {"pipeline", r.pipeline}});
    for (auto& [k, vs] : params)
      out["params"][k] = {{"values", vs}, {"differs", differs(vs)}};
    for (auto& [k, vs] : metrics)
      out["metrics"][k] = {{"values", vs}, {"differs", differs(vs)}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::string> header = {"", "NAME"};
  for (auto& r : runs)
    header.push_back(r.id);
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& kind, const std::map<std::string, std::vector<plan::Json>>& m) {
    for (auto& [k, vs] : m) {
      std::vector<std::string> row = {differs(vs) ? "*" : " ", kind + " " + k};
      for (auto& v : vs)
        row.push_back(valueText(v));
      rows.push_back(row);
    }
  };
  std::vector<std::string> statusRow = {" ", "status"};
  for (auto& r : runs)
    statusRow.push_back(std::string(meta::toString(r.status)));
  rows.push_back(statusRow);
  add("param ", params);
  add("metric", metrics);
  std::cout << table(header, rows) << "\n* marks rows whose values differ\n";
}

} // namespace

void registerExperiments(CLI::App& app) {
  struct O {
    std::string ws;
    std::vector<std::string> runs;
    bool json = false;
  };
  auto o = std::make_shared<O>();
  auto* cmp =
      app.add_subcommand("compare", "Params and metrics of runs side by side, differences marked");
  addWorkspaceOption(*cmp, o->ws);
  cmp->add_option("RUNS", o->runs, "Two or more run ids (or unique prefixes)")->required();
  cmp->add_flag("--json", o->json, "Print JSON");
  cmp->callback([o] { compare(o->ws, o->runs, o->json); });
}

} // namespace mlpc::cli
