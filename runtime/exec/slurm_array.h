#pragma once
/// Job arrays for the Slurm runner: commands waiting to be submitted with the same requests
/// (CPUs, memory, GPUs, time, partition) go to Slurm as one array, because the controller takes
/// `sbatch` calls one at a time (bench/slurm.sh: about 33 a second here, with one call in flight
/// or four) while one array of 100 tasks is a single call. Task I of the array runs the I-th
/// command's own batch script, with that command's working directory and output files, as
/// sbatch --chdir/--output/--error would for a job of its own.
#include <string>
#include <vector>

namespace mlpc::exec {

/// One command in an array: absolute paths.
struct ArrayTask {
  std::string workdir, script, stdoutPath, stderrPath;
};

/// The array's dispatching script: `case $SLURM_ARRAY_TASK_ID` over the tasks (output files first,
/// so that a working directory that cannot be entered says so in the task's error file).
std::string arrayScript(const std::vector<ArrayTask>& tasks);

/// Slurm's id of task `index` of array job `arrayId` ("ID_INDEX", as squeue -r and scancel read
/// it).
std::string arrayTaskId(const std::string& arrayId, size_t index);

} // namespace mlpc::exec
