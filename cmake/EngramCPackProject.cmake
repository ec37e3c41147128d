# CPACK_PROJECT_CONFIG_FILE: read by cpack (not cmake) once per generator,
# after `-D` overrides. CMake 3.25's DEB generator gives every package of one
# run the same Version, so each package is built by its own run,
#   cpack -G DEB -D CPACK_COMPONENTS_ALL=<component>
# (tools/package.sh does this), and here that component's own version --
# CPACK_ENGRAM_VERSION_<component>, set in cmake/EngramCPack.cmake -- becomes
# the package version: host = project version, plugins = their own version,
# sdk = <abi major>.<abi minor>.<patch>.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_DEBIAN_PACKAGE_VERSION)
  set(_engram_versions "")
  foreach(_c IN LISTS CPACK_COMPONENTS_ALL)
    if(DEFINED CPACK_ENGRAM_VERSION_${_c})
      list(APPEND _engram_versions ${CPACK_ENGRAM_VERSION_${_c}})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _engram_versions)
  list(LENGTH _engram_versions _n)
  if(_n EQUAL 1)
    set(CPACK_DEBIAN_PACKAGE_VERSION ${_engram_versions})
  elseif(_n GREATER 1)
    message(WARNING "cpack: these packages have different versions (${_engram_versions}) but one "
                    "cpack run gives all the same one (${CPACK_PACKAGE_VERSION}); "
                    "tools/package.sh builds each package with its own version")
  endif()
endif()
