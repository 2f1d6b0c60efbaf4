# Script-driven runtime tests: the end-to-end suites in tests/e2e/ (each a bash script taking the
# mlpc binary, running in its own temporary directory and printing "N passed, M failed").
# Included by tests/CMakeTests.cmake. The unit tests of the scheduler (runtime_sched_tests) are
# registered by tests/unit/runtime/CMakeLists.txt.
# The plan-mutant test runs every second mutant from an offset that changes per run (so runs
# cover all of them in turn), under the sanitizers (about ten times slower) every eighth.
set(MLPC_E2E_EXTRA_ENV ";BAD_PLAN_EVERY=2")
if(MLPC_SANITIZE)
  # MLPC_SANITIZED: mlpc keeps the sanitizer's allocator (frontend_large_test.sh).
  set(MLPC_E2E_EXTRA_ENV ";BAD_PLAN_EVERY=8;MLPC_SANITIZED=1")
endif()
foreach(t examples cache_matrix crash concurrency injection bad_output bad_plan registry get
          data_params step_props verify reproduce_code plan_conditions flatten
          nested_metrics
          headline
          transform
          fmt
          frontend_large
          baseline
          slurm
          terminal_progress
          progress_lines
          repeat_run
          meta_write_fails)
  add_test(NAME e2e_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${t}_test.sh ${CMAKE_BINARY_DIR}/mlpc)
  set_tests_properties(e2e_${t} PROPERTIES
    ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1${MLPC_E2E_EXTRA_ENV}"
    TIMEOUT 600
    LABELS "runtime;e2e")
endforeach()
