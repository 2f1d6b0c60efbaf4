// `mlpc export FILE|PLAN --to TARGET [-o OUT]`: the plan as another engine's pipeline document
// (export/exporter.h; docs/export/TARGET.md).
#include "commands.h"
#include "run_support.h"

#include "export/exporter.h"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace mlpc::cli {

namespace {

struct ExportOpts {
  std::string target;
  std::string to;
  std::string pipeline;
  std::vector<std::string> params;
  std::string output = "-";
  std::string image, s3Prefix, roleArn;
  bool json = false;
  DiagOptions diag;
};

std::string targetList() {
  std::string s;
  for (auto& t : exporter::targets())
    s += (s.empty() ? "" : ", ") + std::string(t.name);
  return s;
}

} // namespace

void registerExport(CLI::App& app) {
  auto o = std::make_shared<ExportOpts>();
  auto* cmd =
      app.add_subcommand("export", "Export a pipeline to another engine (" + targetList() + ")");
  cmd->add_option("FILE", o->target, "The entry .mlp file, or a plan .json from `mlpc compile`")
      ->required();
  cmd->add_option("--to", o->to, "The target engine: " + targetList())->required();
  cmd->add_option("-p,--pipeline", o->pipeline, "The pipeline (needed when the file has several)");
  cmd->add_option("--param", o->params, "Set a pipeline parameter: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("-o,--output", o->output, "Where to write the export (default: stdout)");
  cmd->add_option("--image", o->image,
                  "The container image of steps that declare no `image` (default: " +
                      exporter::Options{}.image + ")");
  cmd->add_option(
      "--s3-prefix", o->s3Prefix,
      "sagemaker, stepfunctions: the S3 URI the jobs write their outputs under (default: " +
          exporter::Options{}.s3Prefix + ")");
  cmd->add_option("--role-arn", o->roleArn,
                  "sagemaker, stepfunctions: the IAM role the jobs run as (the default of the "
                  "pipeline parameter MlpcRoleArn)");
  cmd->add_flag("--json", o->json, "Write JSON instead of the target's usual format (Argo: YAML)");
  addDiagOptions(*cmd, o->diag);
  cmd->callback([o] {
    const exporter::Target* target = exporter::findTarget(o->to);
    if (!target) {
      std::cerr << "error: unknown export target `" << o->to << "`; known: " << targetList()
                << "\n";
      exitCode() = 2;
      return;
    }
    if (o->output.empty()) {
      std::cerr << "error: --output needs a file name (or `-` for stdout)\n";
      exitCode() = 2;
      return;
    }
    std::error_code ec;
    if (o->output != "-" && std::filesystem::equivalent(o->output, o->target, ec)) {
      std::cerr << "error: refusing to write the export over its source `" << o->target << "`\n";
      exitCode() = 2;
      return;
    }
    auto lp = loadPlan(o->target, o->pipeline, o->params, o->diag);
    if (!lp) return;
    exporter::Options eo;
    if (!o->image.empty()) eo.image = o->image;
    if (!o->s3Prefix.empty()) {
      if (o->s3Prefix.rfind("s3://", 0) != 0 || o->s3Prefix.size() <= 5) {
        std::cerr << "error: --s3-prefix must be an S3 URI (s3://BUCKET/PREFIX), got `"
                  << o->s3Prefix << "`\n";
        exitCode() = 2;
        return;
      }
      eo.s3Prefix = o->s3Prefix;
      while (eo.s3Prefix.size() > 5 && eo.s3Prefix.back() == '/')
        eo.s3Prefix.pop_back();
    }
    if (!o->roleArn.empty()) eo.roleArn = o->roleArn;
    eo.json =
        o->json || (o->output != "-" && std::filesystem::path(o->output).extension() == ".json");
    exporter::Result r = target->run(lp->plan, eo);
    if (!r.problems.empty()) {
      for (auto& p : r.problems) {
        std::string at = exporter::location(p.range);
        std::cerr << (at.empty() ? "" : at + ": ") << "error: " << p.message << "\n";
      }
      std::cerr << "nothing written: pipeline `" << lp->plan.pipeline.name
                << "` cannot be exported to " << target->title << "\n";
      exitCode() = 2;
      return;
    }
    if (o->output == "-") {
      std::cout << r.text;
      return;
    }
    std::string tmp = o->output + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << r.text;
      out.flush();
      if (!out) {
        std::cerr << "error: cannot write " << o->output << "\n";
        std::remove(tmp.c_str());
        exitCode() = 2;
        return;
      }
    }
    if (std::rename(tmp.c_str(), o->output.c_str()) != 0) {
      std::cerr << "error: cannot write " << o->output << "\n";
      std::remove(tmp.c_str());
      exitCode() = 2;
      return;
    }
    std::cerr << "exported pipeline `" << lp->plan.pipeline.name << "` to " << target->title
              << " -> " << o->output << "\n";
  });
}

} // namespace mlpc::cli
