# .deb and .rpm packages: `cpack -G DEB` / `cpack -G RPM` in a build tree
# (packaging/README.md). Components: daemon (scanorchd, scanorchctl, config,
# systemd units), plugins (the default plugins), sdk (headers + CMake
# package, no binaries), so a plugin author can install the SDK alone.
#
# The .deb is a Debian 12 package: system libraries, dependencies from
# dpkg-shlibdeps. The .rpm is for RHEL 9 hosts, which have none of Debian's
# Poco/yaml-cpp/spdlog/fmt/prometheus-cpp/hiredis sonames: it carries them
# privately (packaging/rpm/bundle_libs.cmake; see packaging/cpack_project.cmake).
set(CPACK_PACKAGE_NAME scanorch)
set(CPACK_PACKAGE_VENDOR "scanorch")
set(CPACK_PACKAGE_CONTACT "scanorch maintainers <scanorch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)      # RelWithDebInfo trees: ship stripped binaries
set(CPACK_COMPONENTS_ALL daemon plugins sdk)
# The first line is the synopsis, the rest the extended description.
set(CPACK_COMPONENT_DAEMON_DESCRIPTION
"scan orchestration over a pool of Nessus scanners
 scanorchd queues vulnerability scans asked for over MCP or REST, runs each
 on a Nessus scanner with free capacity, exports the results and checks
 them, above all that a trusted scan really logged in to its hosts.
 scanorchctl checks the configuration and manages the dead-letter queue.")
set(CPACK_COMPONENT_PLUGINS_DESCRIPTION
"default plugins of scanorch
 The Nessus scanner backend, the Nessus results validator, the memory and
 Redis queues, the capacity router and the HTTP front end (MCP, REST,
 /metrics, /health), loaded by scanorchd.")
set(CPACK_COMPONENT_SDK_DESCRIPTION
"SDK for building scanorch plugins
 Headers (standard library only) and the CMake package scanorch-sdk, with
 scanorch_add_plugin(), for plugins built outside the scanorch tree.")
set(CPACK_COMPONENT_DAEMON_DEPENDS plugins)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)             # a Debian revision: debian/changelog's version is VERSION-1
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)   # scanorch Depends: scanorch-plugins (= version)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME scanorch)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "passwd")   # useradd in postinst
set(CPACK_DEBIAN_PLUGINS_PACKAGE_NAME scanorch-plugins)
set(CPACK_DEBIAN_SDK_PACKAGE_NAME scanorch-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)

set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
set(CPACK_RPM_SDK_PACKAGE_NAME scanorch-sdk)
set(CPACK_RPM_SDK_PACKAGE_ARCHITECTURE noarch)
set(CPACK_RPM_SDK_PACKAGE_AUTOREQPROV OFF)
set(CPACK_RPM_SDK_PACKAGE_REQUIRES "cmake >= 3.25")
set(CPACK_RPM_RUNTIME_PACKAGE_NAME scanorch)
set(CPACK_RPM_RUNTIME_PACKAGE_REQUIRES "shadow-utils")   # useradd in %post
set(CPACK_RPM_RUNTIME_POST_INSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/post.sh)
set(CPACK_RPM_RUNTIME_PRE_UNINSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/preun.sh)
set(CPACK_RPM_RUNTIME_POST_UNINSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/postun.sh)
set(CPACK_RPM_RUNTIME_USER_FILELIST
    "%config(noreplace) /etc/scanorch/scanorch.yaml"
    "%config(noreplace) /etc/scanorch/scanners.yaml.example"
    "%config(noreplace) /etc/scanorch/.env.example")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /lib /lib/systemd /lib/systemd/system /etc)
# No /usr/lib/.build-id links: the bundled libraries are private copies and
# must not claim build ids in the system's namespace.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")

# Per-generator settings (the RPM's component grouping and library bundling)
# are made when cpack runs, in this file.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/cpack_project.cmake)

include(CPack)
