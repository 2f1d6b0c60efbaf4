// `mlpc lineage REF`: which data, code, params and command made an artifact (or what was made
// from it). REF is an artifact hash prefix, RUN:step.output, or GROUP@VERSION.
#include "artifact_ref.h"
#include "commands.h"
#include "endpoint_ref.h"
#include "history_support.h"
#include "lineage_graph.h"

#include <iostream>

namespace mlpc::cli {

void registerLineage(CLI::App& app) {
  struct O {
    std::string ws, ref, format = "text";
    bool up = false, down = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "lineage", "Which data, code, params and command made an artifact (or what used it)");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_option("REF", o->ref,
                  "An artifact hash prefix, RUN:step.output, GROUP@VERSION, or endpoint:NAME (the "
                  "version the endpoint serves)")
      ->required();
  auto* up = cmd->add_flag("--upstream", o->up, "What it was made from (the default)");
  cmd->add_flag("--downstream", o->down, "What was made from it")->excludes(up);
  cmd->add_option("--format", o->format, "text (default), dot, json or openlineage")
      ->check(CLI::IsMember({"text", "dot", "json", "openlineage"}));
  cmd->callback([o] {
    auto ws = openHistory(o->ws);
    if (!ws) return;
    std::string header, ref = o->ref;
    // `endpoint:NAME`: the lineage of the model version the endpoint serves.
    if (ref.rfind("endpoint:", 0) == 0) {
      auto ev = resolveEndpoint(ws->dir, ref.substr(9));
      if (!ev) {
        exitCode() = 2;
        return;
      }
      ref = ev->group + "@" + std::to_string(ev->version);
      header = ev->header;
    }
    std::string more;
    std::string hash = resolveRef(*ws->meta, ref, more);
    header += more;
    if (hash.empty()) {
      exitCode() = 2;
      return;
    }
    auto g = walkLineage(*ws->meta, hash, !o->down);
    if (!g) {
      std::cerr << "error: " << g.error() << "\n";
      exitCode() = 2;
      return;
    }
    if (o->format == "text")
      std::cout << header << lineageText(*g, !o->down);
    else if (o->format == "dot")
      std::cout << lineageDot(*g);
    else if (o->format == "json")
      std::cout << lineageJson(*g).dump(2) << "\n";
    else
      std::cout << lineageOpenLineage(*g).dump(2) << "\n";
  });
}

} // namespace mlpc::cli
