#pragma once
/// Exporters: a typed plan (plan/model.h) turned into another engine's pipeline document
/// (docs/export/). Each target lives in its own file and reads nothing but the plan. A construct
/// a target cannot express, or a value beyond one of its documented limits, is an error naming
/// the construct and where the .mlp source wrote it; no half-right file is ever produced.
#include "plan/model.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::exporter {

struct Options {
  /// The container image of steps that declare none (`image = …`).
  std::string image = "mlpc-steps:latest";
  /// Where the project (the plan's base directory) and the stdlib are inside that image.
  std::string sourceRoot = "/mlp/src";
  std::string stdlibRoot = "/mlp/stdlib";
  /// The image of the small helper containers some targets need (register, fail).
  std::string utilityImage = "busybox:1.36";
  /// Where SageMaker jobs write their outputs (each under EXECUTION-ID/STEP/OUTPUT; Step
  /// Functions: EXECUTION-NAME/STATE[/INDEX…]/OUTPUT).
  std::string s3Prefix = "s3://mlpc-artifacts/exports";
  /// The IAM role SageMaker jobs run as: the default of the pipeline parameter `MlpcRoleArn`.
  std::string roleArn = "arn:aws:iam::111122223333:role/mlpc-sagemaker-execution";
  /// Airflow: the PersistentVolumeClaim every pod mounts at /mlp/work for step outputs.
  std::string workClaim = "mlpc-work";
  /// JSON instead of the target's usual text format (Argo: YAML).
  bool json = false;
};

/// One problem: where in the .mlp source (a plan range, `PATH:L:C-L:C`, or "") and what.
struct Problem {
  std::string range;
  std::string message;
};

struct Result {
  std::string text;              ///< the exported document (empty when `problems` is not)
  std::vector<Problem> problems; ///< why it could not be exported
};

struct Target {
  const char* name;      ///< as `--to` spells it
  const char* title;     ///< the engine's name, for messages
  const char* extension; ///< of the default output file, with the dot
  Result (*run)(const plan::Plan&, const Options&);
};

/// The targets that are implemented, in the order the docs list them.
const std::vector<Target>& targets();
const Target* findTarget(const std::string& name);

/// `PATH:L:C` from a range `PATH:L:C-L:C` (what a diagnostic prints), or "" for none.
std::string location(const std::string& range);

Result exportArgo(const plan::Plan& plan, const Options& options);
Result exportSageMaker(const plan::Plan& plan, const Options& options);
Result exportAirflow(const plan::Plan& plan, const Options& options);
Result exportStepFunctions(const plan::Plan& plan, const Options& options);

} // namespace mlpc::exporter
