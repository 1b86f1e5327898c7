# CPack pre-build script for the RPM (see cpack_project.cmake): copies every
# shared library the binaries and plugins need that a RHEL 9 host does not
# have into <prefix>/lib/scanorch/lib, points each ELF file's RUNPATH there
# relative to $ORIGIN, and keeps the copies' sonames out of the rpm's
# automatic Requires.
cmake_minimum_required(VERSION 3.25)
set(root ${CPACK_TEMPORARY_DIRECTORY}/runtime${CPACK_PACKAGING_INSTALL_PREFIX})
set(libdir ${root}/lib/scanorch/lib)
find_program(PATCHELF patchelf)
find_program(PYTHON3 python3)
if(NOT PATCHELF OR NOT PYTHON3)
    message(FATAL_ERROR "bundle_libs: patchelf and python3 are needed to build the RPM (scripts/install-deps.sh)")
endif()

file(GLOB bins LIST_DIRECTORIES false ${root}/bin/*)
file(GLOB_RECURSE plugins LIST_DIRECTORIES false ${root}/lib*/scanorch/plugins/*.so)
if(NOT bins OR NOT plugins)
    message(FATAL_ERROR "bundle_libs: no binaries or plugins under ${root}")
endif()

# What RHEL 9 provides in its base: glibc, the GCC runtime, OpenSSL 3, zlib,
# expat (same soname, no symbol versions; Debian's own copy needs glibc 2.36).
# These stay ordinary requirements (their symbol versions are checked by
# tests/check_symbol_versions.sh); everything else travels with the rpm.
set(system_libs
    "^ld-linux" "^libc[.]so" "^libm[.]so" "^libpthread[.]so" "^libdl[.]so" "^librt[.]so"
    "^libstdc[+][+][.]so" "^libgcc_s[.]so" "^libssl[.]so[.]3$" "^libcrypto[.]so[.]3$" "^libz[.]so[.]1$" "^libexpat[.]so[.]1$")
file(GET_RUNTIME_DEPENDENCIES
    EXECUTABLES ${bins}
    MODULES ${plugins}
    RESOLVED_DEPENDENCIES_VAR deps
    UNRESOLVED_DEPENDENCIES_VAR missing
    PRE_EXCLUDE_REGEXES ${system_libs})
if(missing)
    message(FATAL_ERROR "bundle_libs: cannot find ${missing}")
endif()

function(set_runpath file dir)
    file(RELATIVE_PATH rel ${dir} ${libdir})
    set(path "$ORIGIN")
    if(NOT rel STREQUAL "")
        set(path "$ORIGIN/${rel}")
    endif()
    execute_process(COMMAND ${PATCHELF} --set-rpath "${path}" ${file} RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "bundle_libs: patchelf ${file}: ${err}")
    endif()
endfunction()

file(MAKE_DIRECTORY ${libdir})
set(sonames "")
foreach(dep IN LISTS deps)
    get_filename_component(soname ${dep} NAME)       # the name the binaries ask for
    file(REAL_PATH ${dep} real)
    file(COPY_FILE ${real} ${libdir}/${soname} ONLY_IF_DIFFERENT)
    file(CHMOD ${libdir}/${soname} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    set_runpath(${libdir}/${soname} ${libdir})
    string(REPLACE "." "[.]" pattern ${soname})
    string(REPLACE "+" "[+]" pattern ${pattern})
    list(APPEND sonames ${pattern})
endforeach()
foreach(f IN LISTS bins plugins)
    get_filename_component(dir ${f} DIRECTORY)
    set_runpath(${f} ${dir})
endforeach()

# GCC 12 gave std::condition_variable::wait a new version, GLIBCXX_3.4.30,
# which RHEL 9's libstdc++ (GCC 11) lacks; Debian's libspdlog asks for it.
# Its GLIBCXX_3.4.11 twin does the same for a caller that does not cancel
# threads, so the reference is made unversioned (weaken_symbol_version.py;
# tests/weaken_symbol_version_test.sh shows it on a miniature). Any other
# GLIBCXX_3.4.30 symbol stops the build here, and check_rpm.sh checks the result.
file(GLOB bundled ${libdir}/*)
foreach(f IN LISTS bins plugins bundled)
    execute_process(COMMAND ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/weaken_symbol_version.py ${f} libstdc++.so.6
                            GLIBCXX_3.4.30 _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "bundle_libs: ${err}")
    endif()
    if(NOT out MATCHES "unchanged")
        message(STATUS "bundle_libs: ${out}")
    endif()
endforeach()

list(LENGTH deps n)
list(JOIN sonames "|" alternatives)
message(STATUS "bundle_libs: ${n} libraries in ${libdir}")
string(APPEND CPACK_RPM_SPEC_MORE_DEFINE "\n%global __requires_exclude ^(${alternatives})")
