# The ABI lock (docs/SDK_RULES.md §3): sdk/abi.lock records the sha256 of every header
# that defines the binary boundary, and the ABI version they belong to.
#   cmake -DSDK_DIR=<sdk> -DMODE=check|update -P abi_lock.cmake
# check fails when a header changed and the version did not (bump it: see the
# rules at the top of abi.h), or when the version moved and the lock did not.
set(headers abi.h types.h result.h scanner.h validator.h queue.h dead_letters.h shared_state.h queue_backend.h
            router.h frontend.h tool_service.h store.h
            extensions.h counters.h pool_snapshot.h findings.h task_stamps.h task_removal.h
            scan_list.h slot_vacate.h)
set(lock ${SDK_DIR}/abi.lock)
file(READ ${SDK_DIR}/include/scanorch/sdk/abi.h abi)
string(REGEX MATCH "#define SCANORCH_SDK_ABI_MAJOR ([0-9]+)" _ "${abi}")
set(major ${CMAKE_MATCH_1})
string(REGEX MATCH "#define SCANORCH_SDK_ABI_MINOR ([0-9]+)" _ "${abi}")
set(version "${major}.${CMAKE_MATCH_1}")

set(current "")
foreach(h IN LISTS headers)
    file(SHA256 ${SDK_DIR}/include/scanorch/sdk/${h} sum)
    string(APPEND current "${sum}  ${h}\n")
endforeach()

if(MODE STREQUAL "update")
    file(WRITE ${lock} "# sha256 of the SDK's ABI headers, and the ABI version they belong to.\n"
                       "# Written by: cmake --build <build dir> --target update-abi-lock (after a version bump).\n"
                       "abi ${version}\n${current}")
    message("abi.lock updated for ABI ${version}")
    return()
endif()

if(NOT EXISTS ${lock})
    message(FATAL_ERROR "${lock} is missing; run the update-abi-lock target")
endif()
file(READ ${lock} locked)
string(REGEX MATCH "abi ([0-9]+\\.[0-9]+)" _ "${locked}")
set(locked_version ${CMAKE_MATCH_1})
string(REGEX REPLACE "^.*abi [0-9]+\\.[0-9]+\n" "" locked_sums "${locked}")

set(changed "")
foreach(h IN LISTS headers)
    string(REGEX MATCH "([0-9a-f]+)  ${h}\n" _ "${current}")
    set(now ${CMAKE_MATCH_1})
    string(REGEX MATCH "([0-9a-f]+)  ${h}\n" _ "${locked_sums}")
    if(NOT now STREQUAL CMAKE_MATCH_1)
        list(APPEND changed ${h})
    endif()
endforeach()

if(NOT locked_version STREQUAL version)
    message(FATAL_ERROR "abi.lock is for ABI ${locked_version} but abi.h says ${version}: "
                        "run `cmake --build <build dir> --target update-abi-lock` and commit sdk/abi.lock")
endif()
if(changed)
    message(FATAL_ERROR "ABI headers changed without a version bump (ABI ${version}): ${changed}. "
                        "Bump SCANORCH_SDK_ABI_MAJOR (any change to an existing struct, enum value, signature or "
                        "virtual function) or SCANORCH_SDK_ABI_MINOR (fields appended at the end), see abi.h, "
                        "then run the update-abi-lock target.")
endif()
message("ABI ${version}: headers match abi.lock")
