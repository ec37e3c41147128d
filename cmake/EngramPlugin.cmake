# engram_add_plugin(NAME <name> SOURCES <files...> [FEATURES <feature...>] [OUTPUT_DIR <dir>]
#                   [INSTALL | NO_INSTALL] [COMPONENT <component>] [VERSION <x.y.z>])
#
# Builds libengram_<name>.so from SOURCES. Each FEATURE enables exactly the
# compiler flags for that instruction set on this target only, so no other
# code in the host is ever compiled with it. Plugins are built with hidden
# visibility (only the ABI entry point is exported) and -Wl,--no-undefined so
# a missing symbol fails the build, not the dlopen in production.
#
# The declared FEATURES are also handed to the code as one compile definition,
#   ENGRAM_PLUGIN_FEATURES=(ENGRAM_CPU_AVX2|ENGRAM_CPU_FMA)   (0 without FEATURES)
# so the table can say `required_cpu_features = ENGRAM_PLUGIN_FEATURES` and the
# bits the host checks can never drift from the flags the code was built with.
#
# This file serves two builds:
#   - in-tree (included by the top-level CMakeLists.txt): links `engram_abi`;
#   - the installed SDK (find_package(EngramKernelSDK), which sets
#     ENGRAM_PLUGIN_ABI_TARGET to EngramKernelSDK::abi before including it).
# ENGRAM_PLUGIN_ABI_TARGET names the target that carries the ABI header.
#
# Installing: INSTALL adds install(TARGETS) into ENGRAM_PLUGIN_INSTALL_DIR
# (default ${CMAKE_INSTALL_LIBDIR}/engram/plugins) with COMPONENT (default
# plugin-<name>). Without INSTALL/NO_INSTALL a plugin installs exactly when it
# is built into ENGRAM_PLUGIN_OUTPUT_DIR, the in-tree build/plugins/ folder that
# holds what ships; the test zoo and fixtures pass their own OUTPUT_DIR and
# never install. In the SDK ENGRAM_PLUGIN_OUTPUT_DIR is not set, so an
# out-of-tree plugin installs only with INSTALL.
#
# VERSION is the plugin's own version (its table's `version` string), recorded
# as the target property ENGRAM_PLUGIN_VERSION for packaging. Without it, the
# first "x.y.z" string literal in a table*.c/cpp source is used.
include(GNUInstallDirs)

set(ENGRAM_FEATURE_FLAGS_sse4_2 -msse4.2)
set(ENGRAM_FEATURE_FLAGS_avx -mavx)
set(ENGRAM_FEATURE_FLAGS_avx2 -mavx2)
set(ENGRAM_FEATURE_FLAGS_fma -mfma)
set(ENGRAM_FEATURE_FLAGS_avx512f -mavx512f)
set(ENGRAM_FEATURE_FLAGS_avx512bw -mavx512bw)
set(ENGRAM_FEATURE_FLAGS_avx512vl -mavx512vl)
set(ENGRAM_FEATURE_FLAGS_avx512dq -mavx512dq)
set(ENGRAM_FEATURE_FLAGS_avx512_bf16 -mavx512bf16) # ABI 1.1 bit ENGRAM_CPU_AVX512_BF16
set(ENGRAM_FEATURE_FLAGS_avx512_vnni -mavx512vnni) # ABI 1.1 bit ENGRAM_CPU_AVX512_VNNI
set(ENGRAM_FEATURE_FLAGS_neon "") # Advanced SIMD is baseline on AArch64
# ABI 1.1 bit ENGRAM_CPU_ASIMDDP (SDOT/UDOT). GCC 12's arm_neon.h offers the
# dot-product intrinsics only from armv8.2-a, which every CPU with the
# extension implements (FEAT_DotProd is optional from Armv8.2 on).
set(ENGRAM_FEATURE_FLAGS_asimddp -march=armv8.2-a+dotprod)

if(NOT DEFINED ENGRAM_PLUGIN_ABI_TARGET)
  set(ENGRAM_PLUGIN_ABI_TARGET engram_abi)
endif()
if(NOT DEFINED ENGRAM_PLUGIN_INSTALL_DIR)
  set(ENGRAM_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/engram/plugins)
endif()

function(engram_add_plugin)
  cmake_parse_arguments(P "INSTALL;NO_INSTALL" "NAME;OUTPUT_DIR;COMPONENT;VERSION" "SOURCES;FEATURES" ${ARGN})
  if(NOT P_NAME OR NOT P_SOURCES)
    message(FATAL_ERROR "engram_add_plugin: NAME and SOURCES are required")
  endif()
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "engram_add_plugin(${P_NAME}): unexpected arguments '${P_UNPARSED_ARGUMENTS}'")
  endif()
  if(P_INSTALL AND P_NO_INSTALL)
    message(FATAL_ERROR "engram_add_plugin(${P_NAME}): INSTALL and NO_INSTALL are exclusive")
  endif()
  if(NOT P_NAME MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "engram_add_plugin: NAME '${P_NAME}' must be [a-z0-9_]+ (the host refuses other names)")
  endif()
  if(NOT P_OUTPUT_DIR AND DEFINED ENGRAM_PLUGIN_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${ENGRAM_PLUGIN_OUTPUT_DIR})
  endif()
  set(in_shipped_dir FALSE)
  if(DEFINED ENGRAM_PLUGIN_OUTPUT_DIR AND P_OUTPUT_DIR STREQUAL ENGRAM_PLUGIN_OUTPUT_DIR)
    set(in_shipped_dir TRUE)
  endif()
  set(target engram_plugin_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME engram_${P_NAME}
    PREFIX lib
    SUFFIX .so
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  endif()
  if(NOT TARGET ${ENGRAM_PLUGIN_ABI_TARGET})
    message(FATAL_ERROR "engram_add_plugin(${P_NAME}): no target '${ENGRAM_PLUGIN_ABI_TARGET}' "
                        "for the ABI header (find_package(EngramKernelSDK) first)")
  endif()
  target_link_libraries(${target} PRIVATE ${ENGRAM_PLUGIN_ABI_TARGET})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set(feature_bits "")
  foreach(f IN LISTS P_FEATURES)
    if(NOT DEFINED ENGRAM_FEATURE_FLAGS_${f})
      message(FATAL_ERROR "engram_add_plugin(${P_NAME}): unknown feature '${f}'")
    endif()
    target_compile_options(${target} PRIVATE ${ENGRAM_FEATURE_FLAGS_${f}})
    string(TOUPPER "${f}" bit)
    list(APPEND feature_bits ENGRAM_CPU_${bit})
  endforeach()
  if(feature_bits)
    list(JOIN feature_bits "|" feature_bits)
    target_compile_definitions(${target} PRIVATE "ENGRAM_PLUGIN_FEATURES=(${feature_bits})")
  else()
    target_compile_definitions(${target} PRIVATE ENGRAM_PLUGIN_FEATURES=0)
  endif()

  if(NOT P_VERSION)
    foreach(src IN LISTS P_SOURCES)
      if(src MATCHES "(^|/)table[^/]*\\.(c|cc|cpp)$")
        if(NOT IS_ABSOLUTE "${src}")
          set(src ${CMAKE_CURRENT_SOURCE_DIR}/${src})
        endif()
        if(EXISTS "${src}")
          file(STRINGS "${src}" v REGEX "\"[0-9]+\\.[0-9]+\\.[0-9]+\"")
          if(v MATCHES "\"([0-9]+\\.[0-9]+\\.[0-9]+)\"")
            set(P_VERSION ${CMAKE_MATCH_1})
            break()
          endif()
        endif()
      endif()
    endforeach()
  endif()
  if(P_VERSION)
    set_target_properties(${target} PROPERTIES ENGRAM_PLUGIN_VERSION ${P_VERSION})
  endif()

  if(P_INSTALL OR (in_shipped_dir AND NOT P_NO_INSTALL))
    if(NOT P_COMPONENT)
      set(P_COMPONENT plugin-${P_NAME})
    endif()
    install(TARGETS ${target}
      LIBRARY DESTINATION ${ENGRAM_PLUGIN_INSTALL_DIR} COMPONENT ${P_COMPONENT})
    set_target_properties(${target} PROPERTIES ENGRAM_PLUGIN_COMPONENT ${P_COMPONENT})
    set_property(GLOBAL APPEND PROPERTY ENGRAM_INSTALLED_PLUGINS ${P_NAME})
  endif()
endfunction()

# engram_sign_plugin(TARGET <target> KEY <private.pem>)
#
# After every build of TARGET (a plugin from engram_add_plugin), signs the .so
# with the Ed25519 private key KEY (PEM, unencrypted) and writes the detached
# signature beside it as <file>.sig: 64 raw bytes, the format the host checks
# when [security] require_signature = true. Runs the openssl CLI (OpenSSL 3:
# `openssl pkeyutl -sign -rawin`); the same as `engramctl sign --key KEY FILE`.
# A relative KEY is taken against the current source directory. The .sig is
# not installed by this function: install it with the plugin if the target
# machine requires signatures (install(FILES $<TARGET_FILE:t>.sig ...)).
function(engram_sign_plugin)
  cmake_parse_arguments(S "" "TARGET;KEY" "" ${ARGN})
  if(NOT S_TARGET OR NOT S_KEY)
    message(FATAL_ERROR "engram_sign_plugin: TARGET and KEY are required")
  endif()
  if(S_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "engram_sign_plugin(${S_TARGET}): unexpected arguments '${S_UNPARSED_ARGUMENTS}'")
  endif()
  if(NOT TARGET ${S_TARGET})
    message(FATAL_ERROR "engram_sign_plugin: no target '${S_TARGET}' (call it after engram_add_plugin)")
  endif()
  find_program(ENGRAM_OPENSSL_EXECUTABLE openssl)
  if(NOT ENGRAM_OPENSSL_EXECUTABLE)
    message(FATAL_ERROR "engram_sign_plugin(${S_TARGET}): the openssl command-line tool was not found")
  endif()
  get_filename_component(key "${S_KEY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  add_custom_command(TARGET ${S_TARGET} POST_BUILD
    COMMAND ${ENGRAM_OPENSSL_EXECUTABLE} pkeyutl -sign -rawin -inkey ${key}
            -in $<TARGET_FILE:${S_TARGET}> -out $<TARGET_FILE:${S_TARGET}>.sig
    COMMENT "Signing $<TARGET_FILE_NAME:${S_TARGET}> (Ed25519, ${key})"
    VERBATIM)
endfunction()
