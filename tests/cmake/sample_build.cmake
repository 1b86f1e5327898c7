# Installs the SDK to a fresh prefix, builds samples/plugins out of tree
# against it, and has scanorchd load the result. Also checks that the SDK
# package refuses a request for another major version.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK=... -DSCANORCHD=... -DGENERATOR=... -P sample_build.cmake
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)

include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component sdk --prefix ${prefix})
if(NOT EXISTS ${prefix}/include/scanorch/sdk/plugin.h OR NOT EXISTS ${prefix}/lib/cmake/scanorch-sdk/scanorch-sdkConfig.cmake)
    file(GLOB_RECURSE installed RELATIVE ${prefix} ${prefix}/*)
    message(FATAL_ERROR "the SDK install is incomplete: ${installed}")
endif()
file(GLOB_RECURSE framework_headers ${prefix}/include/scanorch/framework/*)
if(framework_headers)
    message(FATAL_ERROR "framework headers leaked into the SDK install: ${framework_headers}")
endif()

# The sample sees nothing of the source tree: only the installed prefix.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/plugins -B ${WORK}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${SCANORCHD} plugins --plugin-dir ${WORK}/build/round-robin-router)
message("${out}")
if(NOT out MATCHES "router +round-robin +1\\.0\\.0 +2\\.[0-9]+ ")
    message(FATAL_ERROR "scanorchd did not list the sample plugin")
endif()
run(${SCANORCHD} plugins --plugin-dir ${WORK}/build/nmap-scanner)
message("${out}")
if(NOT out MATCHES "scanner +nmap +1\\.0\\.0 +2\\.[0-9]+ " OR NOT out MATCHES "validator +nmap-validator +1\\.0\\.0 +2\\.[0-9]+ ")
    message(FATAL_ERROR "scanorchd did not list the nmap sample's two plugins")
endif()

# Each sample is also a project of its own against the same prefix: the
# small one is built, the nmap one (the same sources as just built) configured.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/plugins/round-robin-router -B ${WORK}/alone-rr -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK}/alone-rr)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/plugins/nmap-scanner -B ${WORK}/alone-nmap -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix})

# A request for SDK 1.x is refused, saying what changed; one for 3.0 too.
foreach(asked 1.0 3.0)
    file(WRITE ${WORK}/wrong-major-${asked}/CMakeLists.txt
         "cmake_minimum_required(VERSION 3.25)\nproject(x LANGUAGES CXX)\nfind_package(scanorch-sdk ${asked} CONFIG REQUIRED)\n")
    execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK}/wrong-major-${asked} -B ${WORK}/wrong-major-${asked}/build
                            -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc EQUAL 0)
        message(FATAL_ERROR "find_package(scanorch-sdk ${asked}) accepted SDK 2.x:\n${out}\n${err}")
    endif()
    if(asked STREQUAL "1.0" AND NOT "${out}${err}" MATCHES "Migrating[ \n]+from[ \n]+SDK[ \n]+1\\.x")  # warnings are re-wrapped
        message(FATAL_ERROR "find_package(scanorch-sdk 1.0) was refused without the migration message:\n${out}\n${err}")
    endif()
endforeach()
message("sample built against the installed SDK and loaded; SDK 1.0 and 3.0 requests refused as expected")
