# Cross-compiling for AArch64 Linux with Debian's g++-aarch64-linux-gnu.
# Used by the "aarch64" preset (CMakePresets.json); tools/test-aarch64.sh
# builds with it and runs the tests under qemu-aarch64.
#
# Target libraries: libc/libstdc++ come with the cross compiler
# (/usr/aarch64-linux-gnu); libcrypto comes from Debian multiarch
# (libssl-dev:arm64, in /usr/lib/aarch64-linux-gnu, installed by tools/deps.sh).
# Boost.DLL, Catch2 v2 and toml++ are used header-only, and headers do not
# depend on the architecture, so they come from the host's /usr/include through
# a small staging prefix of symlinks in the build tree: only those three
# packages become visible to find_package/find_path, never the rest of the
# host's /usr (whose libraries are x86-64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(ENGRAM_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${ENGRAM_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${ENGRAM_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${ENGRAM_CROSS_TRIPLE})

# The staging prefix: <build>/cross-stage/{include/{boost,catch2,toml++,openssl},
# lib/cmake/Catch2, lib/libcrypto.so}. try_compile projects read this file
# again from their own directory; they only need the compiler, so they skip it.
get_property(_engram_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
if(NOT _engram_in_try_compile)
  set(ENGRAM_CROSS_STAGE ${CMAKE_BINARY_DIR}/cross-stage)
  file(MAKE_DIRECTORY ${ENGRAM_CROSS_STAGE}/include ${ENGRAM_CROSS_STAGE}/lib/cmake)
  foreach(link IN ITEMS
      "include/boost=/usr/include/boost"
      "include/catch2=/usr/include/catch2"
      "include/toml++=/usr/include/toml++"
      "include/openssl=/usr/include/openssl"
      "lib/cmake/Catch2=/usr/lib/cmake/Catch2"
      "lib/libcrypto.so=/usr/lib/${ENGRAM_CROSS_TRIPLE}/libcrypto.so")
    string(REPLACE "=" ";" pair "${link}")
    list(GET pair 0 name)
    list(GET pair 1 target)
    if(EXISTS ${target} AND NOT EXISTS ${ENGRAM_CROSS_STAGE}/${name})
      file(CREATE_LINK ${target} ${ENGRAM_CROSS_STAGE}/${name} SYMBOLIC)
    endif()
  endforeach()
  if(NOT EXISTS /usr/lib/${ENGRAM_CROSS_TRIPLE}/libcrypto.so)
    message(WARNING "no arm64 libcrypto: run tools/deps.sh (libssl-dev:arm64)")
  endif()
  # OpenSSL's per-architecture header (configuration.h) lives in
  # /usr/include/aarch64-linux-gnu, which the Debian cross compiler already
  # searches; the staged openssl/ holds the architecture-independent rest.
  set(CMAKE_FIND_ROOT_PATH /usr/${ENGRAM_CROSS_TRIPLE} ${ENGRAM_CROSS_STAGE})
  # FindBoost (no arm64 BoostConfig exists): headers only, from the stage.
  set(Boost_INCLUDE_DIR ${ENGRAM_CROSS_STAGE}/include CACHE PATH "Boost headers (staged)")
  set(Boost_NO_BOOST_CMAKE ON CACHE BOOL "")
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs every test binary through qemu (the preset may override this).
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/${ENGRAM_CROSS_TRIPLE} -E LD_LIBRARY_PATH=/usr/${ENGRAM_CROSS_TRIPLE}/lib)
endif()
