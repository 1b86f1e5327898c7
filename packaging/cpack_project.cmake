# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE).
#
# RPM: one `scanorch` package with the daemon, the plugins and a private copy
# of every library RHEL 9 lacks, the way vendors ship agents:
#   /usr/lib/scanorch/lib/   Poco, yaml-cpp, spdlog, fmt, prometheus-cpp, hiredis, ...
#   RUNPATH $ORIGIN/../lib/scanorch/lib (binaries), $ORIGIN/../lib (plugins), $ORIGIN (the libraries)
# never on the system library path, and kept out of the automatic
# Requires/Provides (so the rpm neither asks for Debian sonames nor offers
# its copies to other packages). What it still requires is what RHEL 9 has:
# glibc, libstdc++/libgcc, OpenSSL 3, zlib, expat (tests/check_symbol_versions.sh).
if(CPACK_GENERATOR STREQUAL "RPM")
    set(CPACK_COMPONENT_DAEMON_GROUP runtime)
    set(CPACK_COMPONENT_PLUGINS_GROUP runtime)
    set(CPACK_COMPONENT_SDK_GROUP sdk)
    set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/rpm/bundle_libs.cmake)
    # The bundled copies provide nothing to the system. Their own system
    # needs (zlib, expat, OpenSSL) stay in Requires; bundle_libs.cmake drops
    # the bundled sonames from it (__requires_exclude).
    string(APPEND CPACK_RPM_SPEC_MORE_DEFINE "\n%global __provides_exclude_from ^/usr/lib/scanorch/.*$")
endif()
