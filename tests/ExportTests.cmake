# Exporters (issue 10, `mlpc export`): every example and golden plan exported to each finished
# target and checked by that target's validator (tests/validators; setup.sh installs their node
# modules, and their absence fails the test), plus the command's errors.
add_test(NAME e2e_export
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/export_test.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(e2e_export PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  TIMEOUT 600
  LABELS "e2e;export")
# `mlpc export --to stepfunctions` (issue 10): every example and golden plan through the ASL
# validator (tests/validators/asl), the construct and limit errors, and the options.
add_test(NAME e2e_export_stepfunctions
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/export_stepfunctions_test.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(e2e_export_stepfunctions PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  TIMEOUT 600
  LABELS "e2e;export")
