# .deb and .rpm packages: `cpack -G DEB` / `cpack -G RPM` in a build tree.
# Components: daemon (scanorchd, scanorchctl, config, systemd units),
# plugins (the default plugins), sdk (headers + CMake package, no binaries),
# so a plugin author can install the SDK alone.
set(CPACK_PACKAGE_NAME scanorch)
set(CPACK_PACKAGE_VENDOR "scanorch")
set(CPACK_PACKAGE_CONTACT "scanorch maintainers <scanorch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL daemon plugins sdk)
set(CPACK_COMPONENT_DAEMON_DESCRIPTION "scanorchd daemon, scanorchctl, config and systemd units")
set(CPACK_COMPONENT_PLUGINS_DESCRIPTION "Default scanorch plugins")
set(CPACK_COMPONENT_SDK_DESCRIPTION "Headers and CMake package for building scanorch plugins")
set(CPACK_COMPONENT_DAEMON_DEPENDS plugins)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME scanorch)
set(CPACK_DEBIAN_PLUGINS_PACKAGE_NAME scanorch-plugins)
set(CPACK_DEBIAN_SDK_PACKAGE_NAME scanorch-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)

set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_AUTOREQPROV ON)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_DAEMON_PACKAGE_NAME scanorch)
set(CPACK_RPM_PLUGINS_PACKAGE_NAME scanorch-plugins)
set(CPACK_RPM_SDK_PACKAGE_NAME scanorch-sdk)
set(CPACK_RPM_DAEMON_POST_INSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/debian/postinst)
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /lib /lib/systemd /lib/systemd/system /etc)

include(CPack)
