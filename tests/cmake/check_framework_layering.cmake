# Checks the framework's layout rules (docs/ARCHITECTURE.md, "Layout, and why"):
#  - no plugin-host file includes an orchestration header (orchestration is
#    built on the plugin host, never the other way round);
#  - every folder of include/scanorch/framework belongs to exactly one library;
#  - src/ mirrors include/: a .cpp sits in the folder of the same name as its header.
# The linker would not catch a wrong-way include: both libraries are static and
# every program links both.
#   cmake -DFRAMEWORK_DIR=dir -DHOST_DIRS=plugins,config,... -DORCHESTRATION_DIRS=tasks,...
#         -P check_framework_layering.cmake
cmake_minimum_required(VERSION 3.25)
set(inc ${FRAMEWORK_DIR}/include/scanorch/framework)
string(REPLACE "," ";" HOST_DIRS "${HOST_DIRS}")
string(REPLACE "," ";" ORCHESTRATION_DIRS "${ORCHESTRATION_DIRS}")
if(NOT IS_DIRECTORY ${inc} OR NOT HOST_DIRS OR NOT ORCHESTRATION_DIRS)
    message(FATAL_ERROR "usage: -DFRAMEWORK_DIR=<framework/> -DHOST_DIRS=a,b -DORCHESTRATION_DIRS=c,d")
endif()
set(problems)

file(GLOB folders LIST_DIRECTORIES true RELATIVE ${inc} ${inc}/*)
foreach(f IN LISTS folders)
    if(NOT IS_DIRECTORY ${inc}/${f})
        list(APPEND problems "include/scanorch/framework/${f}: a header outside any library's folder")
    elseif(f IN_LIST HOST_DIRS AND f IN_LIST ORCHESTRATION_DIRS)
        list(APPEND problems "include/scanorch/framework/${f}/: folder has sources in both libraries")
    elseif(NOT f IN_LIST HOST_DIRS AND NOT f IN_LIST ORCHESTRATION_DIRS)
        list(APPEND problems "include/scanorch/framework/${f}/: folder belongs to no library (add it to one in framework/CMakeLists.txt)")
    endif()
endforeach()

string(JOIN "|" orchestration_alt ${ORCHESTRATION_DIRS})
foreach(d IN LISTS HOST_DIRS)
    file(GLOB_RECURSE files ${inc}/${d}/* ${FRAMEWORK_DIR}/src/${d}/*)
    foreach(file IN LISTS files)
        file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include")
        foreach(line IN LISTS lines)
            if(line MATCHES "scanorch/framework/(${orchestration_alt})/")
                file(RELATIVE_PATH rel ${FRAMEWORK_DIR} ${file})
                list(APPEND problems "${rel}: plugin host includes orchestration: ${line}")
            endif()
        endforeach()
    endforeach()
endforeach()

file(GLOB_RECURSE sources RELATIVE ${FRAMEWORK_DIR}/src ${FRAMEWORK_DIR}/src/*.cpp)
foreach(s IN LISTS sources)
    get_filename_component(dir ${s} DIRECTORY)
    get_filename_component(name ${s} NAME_WE)
    file(GLOB_RECURSE headers RELATIVE ${inc} ${inc}/*/${name}.h)
    foreach(h IN LISTS headers)
        get_filename_component(hdir ${h} DIRECTORY)
        if(NOT hdir STREQUAL dir)
            list(APPEND problems "src/${s}: its header is include/scanorch/framework/${h}; keep both in folders named alike")
        endif()
    endforeach()
endforeach()

if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "framework layout:\n  ${text}")
endif()
list(LENGTH HOST_DIRS nh)
list(LENGTH ORCHESTRATION_DIRS no)
message("ok: ${nh} plugin-host and ${no} orchestration folders, no include from host to orchestration")
