# Install layout (`cmake --install <build> [--prefix P]`), GitHub issue 8.
# Included once, at the end of the top-level CMakeLists.txt, after every
# target exists. Components (one Debian package each, see EngramCPack.cmake):
#
#   host               bin/engramd, bin/engramctl,
#                      share/engram/engram.toml (installed example config),
#                      share/engram/engram-alerts.yml,
#                      share/doc/engram/{operations,reference}/*.md,
#                      lib/systemd/system/engramd.service
#   plugin-<name>      lib/engram/plugins/libengram_<name>.so
#                      (rules made by engram_add_plugin, cmake/EngramPlugin.cmake)
#   sdk                include/engram/kernel_abi.h,
#                      lib/cmake/EngramKernelSDK/{Config,ConfigVersion,EngramPlugin}.cmake,
#                      share/doc/engram-kernel-sdk/ (plugin-sdk.md, version-skew.md,
#                      kernels.md, examples/plugin-minimal/)
#
# lib/ is ${CMAKE_INSTALL_LIBDIR}: "lib" unless you configure with
# CMAKE_INSTALL_PREFIX=/usr on a multiarch system. The installed example
# config reaches the plugins by a path relative to share/engram/ that is
# computed here, so it stays right for any LIBDIR/DATADIR.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# --- the ABI version, read from the header (the one source of truth) ------
set(ENGRAM_ABI_HEADER ${PROJECT_SOURCE_DIR}/core/include/engram/kernel_abi.h)
file(STRINGS ${ENGRAM_ABI_HEADER} _engram_abi_lines REGEX "^#define ENGRAM_ABI_(MAJOR|MINOR) [0-9]+")
foreach(_l IN LISTS _engram_abi_lines)
  if(_l MATCHES "^#define ENGRAM_ABI_(MAJOR|MINOR) ([0-9]+)")
    set(ENGRAM_ABI_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(NOT DEFINED ENGRAM_ABI_MAJOR OR NOT DEFINED ENGRAM_ABI_MINOR)
  message(FATAL_ERROR "EngramInstall: cannot read ENGRAM_ABI_MAJOR/MINOR from ${ENGRAM_ABI_HEADER}")
endif()
# The SDK is versioned <abi major>.<abi minor>.<patch>; the patch counts SDK
# releases (docs, CMake helpers) that do not change the header.
set(ENGRAM_SDK_VERSION_PATCH 0 CACHE STRING "Patch number of the EngramKernelSDK version (ABI major.minor.patch)")
set(ENGRAM_SDK_VERSION ${ENGRAM_ABI_MAJOR}.${ENGRAM_ABI_MINOR}.${ENGRAM_SDK_VERSION_PATCH})

set(ENGRAM_INSTALL_CONFIGDIR ${CMAKE_INSTALL_DATADIR}/engram)
set(ENGRAM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/EngramKernelSDK)
set(ENGRAM_INSTALL_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/engram)
set(ENGRAM_INSTALL_SDK_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/engram-kernel-sdk)

# --- host ------------------------------------------------------------------
foreach(_t engramd engramctl)
  if(TARGET ${_t})
    install(TARGETS ${_t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT host)
  endif()
endforeach()
# The validation child: not on PATH, found by engramd and engramctl at
# ../libexec/engram/ relative to themselves (core/loader/child_validation.h).
if(TARGET engram-validate)
  install(TARGETS engram-validate RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/engram COMPONENT host)
endif()

# The installed example config is generated from config/engram.toml, so the
# two never drift: the [plugins] paths are rewritten from ../build/plugins/ to
# the installed plugin folder relative to share/engram/, and every plugin but
# `reference` is commented out. Each plugin is its own package, and a listed
# plugin whose file is missing is an error (E_PLUGIN_NOT_FOUND) by design, so
# the example loads with nothing but the host and engram-plugin-reference.
function(_engram_installed_config out)
  set(src ${PROJECT_SOURCE_DIR}/config/engram.toml)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  foreach(d CONFIGDIR PLUGINDIR)
    if(d STREQUAL "CONFIGDIR")
      set(p ${ENGRAM_INSTALL_CONFIGDIR})
    else()
      set(p ${ENGRAM_PLUGIN_INSTALL_DIR})
    endif()
    if(NOT IS_ABSOLUTE "${p}")
      set(p "/prefix/${p}")  # only the relation between the two matters
    endif()
    set(${d} ${p})
  endforeach()
  file(RELATIVE_PATH rel "${CONFIGDIR}" "${PLUGINDIR}")
  file(READ ${src} text)
  string(REPLACE "\"../build/plugins/" "\"${rel}/" text "${text}")
  # Comment out every [plugins] line but reference (lines "name = "path"").
  string(REGEX REPLACE "\n([a-z0-9_]+ = \"${rel}/libengram_)" "\n# \\1" text "${text}")
  string(REPLACE "\n# reference = \"" "\nreference = \"" text "${text}")
  if(NOT text MATCHES "\nreference = \"${rel}/libengram_reference.so\"")
    message(WARNING "EngramInstall: config/engram.toml has no `reference = \"../build/plugins/"
                    "libengram_reference.so\"` line; the installed example config will not find the plugin")
  endif()
  string(CONCAT header
    "# Installed example configuration of the Engram Kernel Host, generated from\n"
    "# config/engram.toml at build time. Plugin paths are relative to THIS file's\n"
    "# directory (${ENGRAM_INSTALL_CONFIGDIR}/ under the install prefix).\n"
    "#\n"
    "# Only `reference` is enabled: each backend is its own package\n"
    "# (engram-plugin-reference, engram-plugin-avx2, engram-plugin-avx512,\n"
    "# engram-plugin-avx512-vnni; engram-plugin-neon, engram-plugin-neon-dotprod\n"
    "# on arm64) and a\n"
    "# listed plugin whose file is missing is an error. Install a package, then\n"
    "# uncomment its line below and reload (systemctl reload engramd).\n"
    "# To run from /etc/engram/, copy this file and make the paths absolute\n"
    "# (e.g. /usr/${ENGRAM_PLUGIN_INSTALL_DIR}/libengram_reference.so for the packages).\n"
    "#\n")
  set(text "${header}${text}")
  set(old "")
  if(EXISTS ${out})
    file(READ ${out} old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE ${out} "${text}")
  endif()
endfunction()
_engram_installed_config(${PROJECT_BINARY_DIR}/install/engram.toml)
install(FILES ${PROJECT_BINARY_DIR}/install/engram.toml
  DESTINATION ${ENGRAM_INSTALL_CONFIGDIR} COMPONENT host)
install(FILES ${PROJECT_SOURCE_DIR}/config/engram-alerts.yml
  DESTINATION ${ENGRAM_INSTALL_CONFIGDIR} COMPONENT host)
# Every doc (operations, reference, internal, benchmarks, the plugin SDK),
# so the links between them work where they are installed; links to
# repository files are adjusted on the way (cmake/EngramInstallDocs.cmake).
install(CODE "
  set(ENGRAM_DOCS_SRC \"${PROJECT_SOURCE_DIR}/docs\")
  set(ENGRAM_DOCS_DEST \"${ENGRAM_INSTALL_DOCDIR}\")
  set(ENGRAM_DOCS_INSTALLED
    \"config/engram.toml=${ENGRAM_INSTALL_CONFIGDIR}/engram.toml\"
    \"config/engram-alerts.yml=${ENGRAM_INSTALL_CONFIGDIR}/engram-alerts.yml\"
    \"tools/engramd.service=lib/systemd/system/engramd.service\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/EngramInstallDocs.cmake\")
" COMPONENT host)
# The unit's ExecStart is /usr/bin/engramd: it is meant for the packages
# (prefix /usr). lib/systemd/system is where packages put units.
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/engramd.service)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/tools/engramd.service)
  install(FILES ${PROJECT_SOURCE_DIR}/tools/engramd.service
    DESTINATION lib/systemd/system COMPONENT host)
endif()

# --- SDK ---------------------------------------------------------------------
install(FILES ${ENGRAM_ABI_HEADER} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/engram COMPONENT sdk)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/EngramKernelSDKConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install/EngramKernelSDKConfig.cmake
  INSTALL_DESTINATION ${ENGRAM_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# SameMajorVersion: find_package(EngramKernelSDK 1.0) accepts any 1.x with
# x >= 0, never 2.x -- exactly the host's rule for plugins. The SDK is a
# header and CMake code, so it is architecture independent.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/install/EngramKernelSDKConfigVersion.cmake
  VERSION ${ENGRAM_SDK_VERSION}
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES
  ${PROJECT_BINARY_DIR}/install/EngramKernelSDKConfig.cmake
  ${PROJECT_BINARY_DIR}/install/EngramKernelSDKConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/EngramPlugin.cmake
  DESTINATION ${ENGRAM_INSTALL_CMAKEDIR} COMPONENT sdk)
foreach(_f docs/plugin-sdk.md docs/operations/version-skew.md docs/internal/kernels.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${_f})
    install(FILES ${PROJECT_SOURCE_DIR}/${_f} DESTINATION ${ENGRAM_INSTALL_SDK_DOCDIR} COMPONENT sdk)
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/plugin-minimal
  DESTINATION ${ENGRAM_INSTALL_SDK_DOCDIR}/examples COMPONENT sdk
  PATTERN "build" EXCLUDE)
