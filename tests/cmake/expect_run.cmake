# Runs a command and checks its exit code and output.
#   cmake -DCMD="prog;arg;..." -DEXPECT_EXIT=1 [-DEXPECT_STDOUT=regex] [-DEXPECT_STDERR=regex]
#         [-DEXPECT_STDOUT_EACH="regex;regex..."] [-DREJECT_OUTPUT=regex] -P expect_run.cmake
# EXPECT_STDOUT_EACH: every regex must match some line of stdout.
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
message("exit: ${rc}\n--- stdout ---\n${out}--- stderr ---\n${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
    message(FATAL_ERROR "expected exit ${EXPECT_EXIT}, got ${rc}")
endif()
if(DEFINED EXPECT_STDOUT AND NOT out MATCHES "${EXPECT_STDOUT}")
    message(FATAL_ERROR "stdout does not match: ${EXPECT_STDOUT}")
endif()
foreach(each IN LISTS EXPECT_STDOUT_EACH)
    if(NOT out MATCHES "(^|\n)${each}(\n|$)")
        message(FATAL_ERROR "no stdout line matches: ${each}")
    endif()
endforeach()
if(DEFINED EXPECT_STDERR AND NOT err MATCHES "${EXPECT_STDERR}")
    message(FATAL_ERROR "stderr does not match: ${EXPECT_STDERR}")
endif()
if(DEFINED REJECT_OUTPUT AND "${out}${err}" MATCHES "${REJECT_OUTPUT}")
    message(FATAL_ERROR "output matches what it must not: ${REJECT_OUTPUT}")
endif()
