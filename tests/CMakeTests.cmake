# Script-driven tests, included by tests/CMakeLists.txt: the compiler's golden suite, the check
# that every diagnostic code has a golden test, and the stdlib's end-to-end scripts.

# 120 cases, each a process; under ASan on 2 busy cores this takes over a minute, so the
# timeout leaves room (it guards against a hang, it is not a speed check).
add_test(NAME golden
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/golden/run_golden.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(golden PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  TIMEOUT 400
  LABELS "compiler;golden")

add_test(NAME golden_code_coverage
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/golden/check_coverage.sh
                 ${CMAKE_SOURCE_DIR}/compiler/diag/codes.def ${CMAKE_CURRENT_SOURCE_DIR}/golden)
set_tests_properties(golden_code_coverage PROPERTIES TIMEOUT 30 LABELS "compiler;golden")

add_test(NAME stdlib_scripts
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stdlib/run_stdlib_tests.sh ${CMAKE_SOURCE_DIR}/stdlib)
set_tests_properties(stdlib_scripts PROPERTIES TIMEOUT 900 LABELS "stdlib")

# docs/diagnostics.md is generated from the golden cases; it must match them.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME diagnostics_doc
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/golden/make_diagnostics_doc.py
                   --check)
  set_tests_properties(diagnostics_doc PROPERTIES TIMEOUT 30 LABELS "compiler;docs")
endif()

# The HTML run report, checked in headless Chromium (skipped when Chromium is not installed).
add_test(NAME report_e2e
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/report_test.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(report_e2e PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  TIMEOUT 300
  SKIP_REGULAR_EXPRESSION "^SKIP"
  LABELS "e2e;report")

# End-to-end runtime tests (cache matrix, crashes, concurrency, injection, registry, ...).
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/RuntimeTests.cmake)
  include(${CMAKE_CURRENT_SOURCE_DIR}/RuntimeTests.cmake)
endif()

# Nothing outside the plan library reads a plan's JSON by key (issue: the typed plan).
add_test(NAME plan_access_check
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-plan-access.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(plan_access_check PROPERTIES LABELS "plan")

# The language server (`mlpc lsp`): a scripted JSON-RPC client over every implemented method, random
# edit sequences over the examples and the stdlib, and Neovim's built-in client (skipped without nvim).
if(EXISTS /usr/bin/python3)
  add_test(NAME lsp_protocol
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/lsp/protocol_test.py
                   ${CMAKE_BINARY_DIR}/mlpc)
  add_test(NAME lsp_random_edits
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/lsp/random_edit_test.py
                   ${CMAKE_BINARY_DIR}/mlpc 1 120)
  set_tests_properties(lsp_protocol lsp_random_edits PROPERTIES
    ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
    TIMEOUT 300
    LABELS "lsp")
endif()
add_test(NAME lsp_nvim
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/lsp/nvim_test.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(lsp_nvim PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  TIMEOUT 300
  LABELS "lsp;e2e")

# The VS Code extension (editors/vscode): grammar scopes and drift from grammar/Mlp.g4, every example
# and stdlib module tokenized, snippets through `mlpc check`, the .vsix's contents, and an LSP client
# launched as the extension launches `mlpc lsp`. Needs node and editors/vscode/node_modules (both
# from ./setup.sh); reported as skipped without node.
add_test(NAME editors_vscode
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/editors/vscode_test.sh ${CMAKE_BINARY_DIR}/mlpc)
set_tests_properties(editors_vscode PROPERTIES
  ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
  SKIP_REGULAR_EXPRESSION "# skipped: needs node"
  TIMEOUT 300
  LABELS "editors;lsp")
