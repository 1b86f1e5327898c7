# samples/nessus-emulator as a third party gets it: a copy of the directory,
# configured and built on its own with public libraries only (Poco), warnings
# as errors, then run. Fails when the copy includes or links anything of
# scanorch (framework or SDK), which a copy could not find.
#   cmake -DSOURCE_DIR=... -DWORK=... -DGENERATOR=... [-DCXX=...] [-DLAUNCHER=...] -P emulator_standalone.cmake
file(REMOVE_RECURSE ${WORK})
set(src ${WORK}/nessus-emulator)
file(COPY ${SOURCE_DIR}/samples/nessus-emulator/ DESTINATION ${src})

include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)

# An installed SDK (/usr/include/scanorch) would let such an include compile:
# the sources themselves must not name scanorch's headers or targets.
file(GLOB_RECURSE sources ${src}/*.h ${src}/*.cpp ${src}/CMakeLists.txt)
foreach(f IN LISTS sources)
    file(STRINGS ${f} hits REGEX "#[ \t]*include[ \t]*[<\"]scanorch/|scanorch::(sdk|framework)|scanorch_warnings|find_package\\(scanorch")
    if(hits)
        message(FATAL_ERROR "${f} uses scanorch itself, so the sample no longer stands alone:\n${hits}")
    endif()
endforeach()

set(extra)
if(CXX)
    list(APPEND extra -DCMAKE_CXX_COMPILER=${CXX})
endif()
if(LAUNCHER)
    list(APPEND extra -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
run(${CMAKE_COMMAND} -S ${src} -B ${WORK}/build -G ${GENERATOR} -DCMAKE_COMPILE_WARNING_AS_ERROR=ON ${extra})
run(${CMAKE_COMMAND} --build ${WORK}/build)

set(binary ${WORK}/build/nessus-emulator)
if(NOT EXISTS ${binary})
    message(FATAL_ERROR "the standalone build made no ${binary}")
endif()
run(${binary} --help)
if(NOT out MATCHES "usage: nessus-emulator" OR NOT out MATCHES "--listen=HOST:PORT" OR NOT out MATCHES "--licence-gate")
    message(FATAL_ERROR "the standalone nessus-emulator's --help is not its help:\n${out}")
endif()
execute_process(COMMAND ${binary} --user admin:pw --listen 127.0.0.1:99999
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--listen takes HOST:PORT")
    message(FATAL_ERROR "the standalone nessus-emulator accepted a bad --listen (exit ${rc}):\n${out}${err}")
endif()
message("samples/nessus-emulator configured and built on its own: ${binary}")
