# scanorch_add_plugin(<name> SOURCES <src>... [NO_INSTALL] [OUTPUT_DIRECTORY <dir>])
#
# Builds a scanorch plugin: a MODULE library (dlopen-only, no soname) named
# libscanorch-<name>.so, compiled with hidden visibility so its only exported
# function is scanorch_plugin_entry_v1, and linked with --no-undefined so a
# missing library is a link error here rather than a load error in scanorchd.
# Link whatever the plugin needs with target_link_libraries(<name> PRIVATE ...).
#
# With g++, -fno-gnu-unique: libstdc++ gives namespace std default visibility,
# so a static local in a std template the plugin instantiates (std::to_string
# has one) would become an STB_GNU_UNIQUE symbol, and one such symbol makes
# dlclose() a no-op: the plugin could never be unloaded.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(scanorch_add_plugin name)
    cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "scanorch_add_plugin(${name}): SOURCES is required")
    endif()
    add_library(${name} MODULE ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE scanorch::sdk)
    target_compile_features(${name} PRIVATE cxx_std_20)
    target_compile_options(${name} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
    set_target_properties(${name} PROPERTIES
        PREFIX "libscanorch-"
        OUTPUT_NAME ${name}
        CXX_VISIBILITY_PRESET hidden
        C_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    if(ARG_OUTPUT_DIRECTORY)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
    endif()
    if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")  # sanitizer runtimes come from the host
        target_link_options(${name} PRIVATE "LINKER:--no-undefined")
    endif()
    if(NOT ARG_NO_INSTALL)
        install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/scanorch/plugins COMPONENT plugins)
    endif()
endfunction()
