# Test helpers for every part of the tree (framework, plugins, tests/).
find_package(GTest REQUIRED)
include(GoogleTest)

# scanorch_unit_test(<name> [TIMEOUT <seconds>] [LINK <library>] <sources>...):
# a GoogleTest binary linked with the framework, its tests discovered into
# CTest. LINK names one framework library instead of the whole
# (scanorch::plugin_host: the test then also shows that library links alone).
# Each test keeps its own deadlines and reports what it waited for; the CTest
# TIMEOUT (120 s unless given) must sit above the longest of them, or a slow
# run is killed before it can say why.
function(scanorch_unit_test name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT;LINK" "")
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 120)
    endif()
    if(NOT arg_LINK)
        set(arg_LINK scanorch::framework)
    endif()
    add_executable(${name} ${arg_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE ${arg_LINK} GTest::gtest GTest::gtest_main scanorch_warnings)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${arg_TIMEOUT})
endfunction()
