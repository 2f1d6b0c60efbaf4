# Deployment (issue 8): end-to-end tests of `mlpc up` and its router. Each trains a small stdlib
# model, serves it on loopback and checks no server process outlives the test.
foreach(t deploy_serve deploy_boto3 deploy_rollout
          deploy_keepalive
          deploy_modes
          deploy_autoscale
          deploy_example
          schedule
          monitor)
  add_test(NAME e2e_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${t}_test.sh ${CMAKE_BINARY_DIR}/mlpc)
  set_tests_properties(e2e_${t} PROPERTIES
    ENVIRONMENT "MLP_PATH=${CMAKE_SOURCE_DIR}/stdlib;NO_COLOR=1"
    TIMEOUT 600
    LABELS "runtime;e2e;deploy")
endforeach()
