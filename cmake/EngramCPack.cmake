# Debian packages with CPack, one per install component (GitHub issue 8):
#
#   engram-kernel-host       component host:  engramd, engramctl, share/engram, the unit
#                            Version: PROJECT_VERSION. Provides: engram-kernel-abi-<major>
#   engram-plugin-<name>     component plugin-<name>: only libengram_<name>.so
#                            Version: the plugin's own (its table's version string)
#                            Depends: engram-kernel-abi-<major> (+ libc/libstdc++ via shlibdeps)
#   engram-kernel-sdk        component sdk: kernel_abi.h, the CMake package, docs
#                            Version: <abi major>.<abi minor>.<ENGRAM_SDK_VERSION_PATCH>
#
# A plugin never depends on a host version, only on the virtual package of the
# ABI major it was built for: any 1.x host loads any 1.y plugin. A future ABI 2
# host would Provide engram-kernel-abi-2 (and, while it still loads 1.x
# plugins, engram-kernel-abi-1 too).
#
# CMake 3.25's DEB generator has one Version for every package of a run, so
# build them with tools/package.sh (one `cpack -D CPACK_COMPONENTS_ALL=<c>` per
# package; cmake/EngramCPackProject.cmake then picks that component's version).
# A plain `cpack -G DEB` builds all of them in one go, all with the host's
# version, and says so.

set(CPACK_PACKAGE_NAME engram-kernel-host)
set(CPACK_PACKAGE_VENDOR "Engram")
set(CPACK_PACKAGE_CONTACT "Engram Kernel Host maintainers <engram-kernel-host@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/EngramCPackProject.cmake)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps turns the ELF files' DT_NEEDED into Depends: (Boost
# program_options, libssl/libcrypto, toml++, cpp-httplib, simdjson, libstdc++, libc).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# cpack asks `dpkg --print-architecture`, i.e. the build machine's: right
# for native builds, wrong for the aarch64 cross build; dpkg-shlibdeps cannot
# resolve the target's libraries there either (plugins then carry only the
# ABI dependency).
if(CMAKE_CROSSCOMPILING)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
  endif()
endif()

set(_abi_virtual engram-kernel-abi-${ENGRAM_ABI_MAJOR})
set(_components "")

# host
if(TARGET engramd)
  list(APPEND _components host)
  set(CPACK_COMPONENT_HOST_DISPLAY_NAME "Engram Kernel Host")
  string(CONCAT CPACK_COMPONENT_HOST_DESCRIPTION
    "Engram Kernel Host: engramd and engramctl\n"
    "engramd runs Engram's compute kernels (cosine similarity, spreading\n"
    "activation, Ebbinghaus decay) from backends built as separate shared\n"
    "objects, validated before first use, switched by a config reload.\n"
    "Ships an example config and Prometheus alert rules in /usr/share/engram\n"
    "and a systemd unit. Plugins are separate packages (engram-plugin-*).")
  set(CPACK_DEBIAN_HOST_PACKAGE_NAME engram-kernel-host)
  set(CPACK_DEBIAN_HOST_PACKAGE_PROVIDES "${_abi_virtual}")
  set(CPACK_DEBIAN_HOST_PACKAGE_RECOMMENDS "engram-plugin-reference")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_HOST_PACKAGE_SUGGESTS "engram-plugin-neon, engram-plugin-neon-dotprod, engram-kernel-sdk")
  else()
    set(CPACK_DEBIAN_HOST_PACKAGE_SUGGESTS "engram-plugin-avx2, engram-plugin-avx512, engram-plugin-avx512-vnni, engram-kernel-sdk")
  endif()
  set(CPACK_ENGRAM_VERSION_host ${PROJECT_VERSION})
endif()

# one package per installed in-tree plugin
get_property(_plugins GLOBAL PROPERTY ENGRAM_INSTALLED_PLUGINS)
foreach(_p IN LISTS _plugins)
  get_target_property(_comp engram_plugin_${_p} ENGRAM_PLUGIN_COMPONENT)
  get_target_property(_ver engram_plugin_${_p} ENGRAM_PLUGIN_VERSION)
  if(NOT _ver)
    message(WARNING "EngramCPack: plugin ${_p} has no version (VERSION or a table source); "
                    "packaging it as ${PROJECT_VERSION}")
    set(_ver ${PROJECT_VERSION})
  endif()
  string(TOUPPER ${_comp} _C)
  string(REPLACE "_" "-" _deb engram-plugin-${_p}) # Debian names allow no '_'
  list(APPEND _components ${_comp})
  set(CPACK_COMPONENT_${_C}_DISPLAY_NAME "Engram kernel plugin ${_p}")
  string(CONCAT CPACK_COMPONENT_${_C}_DESCRIPTION
    "Engram kernel backend '${_p}' (libengram_${_p}.so)\n"
    "A compute-kernel plugin for the Engram Kernel Host, plugin ABI ${ENGRAM_ABI_MAJOR}.\n"
    "It loads into any host of ABI major ${ENGRAM_ABI_MAJOR}, whatever its version.\n"
    "To use it, list it in the host's [plugins] table and reload engramd.")
  set(CPACK_DEBIAN_${_C}_PACKAGE_NAME ${_deb})
  set(CPACK_DEBIAN_${_C}_PACKAGE_DEPENDS "${_abi_virtual}")
  set(CPACK_DEBIAN_${_C}_PACKAGE_ENHANCES "engram-kernel-host")
  set(CPACK_ENGRAM_VERSION_${_comp} ${_ver})
endforeach()

# sdk
list(APPEND _components sdk)
set(CPACK_COMPONENT_SDK_DISPLAY_NAME "Engram kernel plugin SDK")
string(CONCAT CPACK_COMPONENT_SDK_DESCRIPTION
  "Engram kernel plugin SDK (ABI ${ENGRAM_ABI_MAJOR}.${ENGRAM_ABI_MINOR})\n"
  "The plugin ABI header <engram/kernel_abi.h>, the CMake package\n"
  "EngramKernelSDK (find_package(EngramKernelSDK ${ENGRAM_ABI_MAJOR}.${ENGRAM_ABI_MINOR}) gives\n"
  "EngramKernelSDK::abi and engram_add_plugin()), the kernel contract and a\n"
  "minimal example plugin, to build Engram kernel backends out of tree.")
set(CPACK_DEBIAN_SDK_PACKAGE_NAME engram-kernel-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SDK_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_SDK_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++")
set(CPACK_ENGRAM_VERSION_sdk ${ENGRAM_SDK_VERSION})

set(CPACK_COMPONENTS_ALL ${_components})
# Read by tools/package.sh: one "component debian-name version" per line.
set(_list "")
foreach(_c IN LISTS _components)
  string(TOUPPER ${_c} _C)
  string(APPEND _list "${_c} ${CPACK_DEBIAN_${_C}_PACKAGE_NAME} ${CPACK_ENGRAM_VERSION_${_c}}\n")
endforeach()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packages.txt CONTENT "${_list}")

include(CPack)
