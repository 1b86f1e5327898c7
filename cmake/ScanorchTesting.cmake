# Test helpers for every part of the tree (framework, plugins, tests/).
find_package(GTest REQUIRED)
include(GoogleTest)

# scanorch_unit_test(<name> <sources>...): a GoogleTest binary linked with the
# framework, its tests discovered into CTest.
function(scanorch_unit_test name)
    add_executable(${name} ${ARGN})
    target_link_libraries(${name} PRIVATE scanorch::framework GTest::gtest GTest::gtest_main scanorch_warnings)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
endfunction()
