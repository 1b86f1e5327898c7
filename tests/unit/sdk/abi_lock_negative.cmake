# Copies the SDK, adds a virtual function to one interface, and expects the
# ABI-lock check to fail on the copy with EXPECT in its message.
file(REMOVE_RECURSE ${COPY})
file(COPY ${SOURCE}/include ${SOURCE}/abi.lock ${SOURCE}/cmake DESTINATION ${COPY})
file(READ ${COPY}/include/scanorch/sdk/queue.h q)
string(REPLACE "virtual Result<void> ping() noexcept = 0;"
               "virtual Result<void> ping() noexcept = 0;\n    virtual Result<void> flush() noexcept = 0;" q "${q}")
file(WRITE ${COPY}/include/scanorch/sdk/queue.h "${q}")
execute_process(COMMAND ${CMAKE_COMMAND} -DSDK_DIR=${COPY} -DMODE=check -P ${COPY}/cmake/abi_lock.cmake
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0)
    message(FATAL_ERROR "the ABI lock accepted a changed interface")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
    message(FATAL_ERROR "the ABI lock failed, but not with: ${EXPECT}")
endif()
