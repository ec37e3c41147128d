# engram_add_plugin(NAME <name> SOURCES <files...> [FEATURES <feature...>] [OUTPUT_DIR <dir>])
#
# Builds libengram_<name>.so from SOURCES. Each FEATURE enables exactly the
# compiler flags for that instruction set on this target only, so no other
# code in the host is ever compiled with it. Plugins are built with hidden
# visibility (only the ABI entry point is exported) and -Wl,--no-undefined so
# a missing symbol fails the build, not the dlopen in production.
set(ENGRAM_FEATURE_FLAGS_sse4_2 -msse4.2)
set(ENGRAM_FEATURE_FLAGS_avx -mavx)
set(ENGRAM_FEATURE_FLAGS_avx2 -mavx2)
set(ENGRAM_FEATURE_FLAGS_fma -mfma)
set(ENGRAM_FEATURE_FLAGS_avx512f -mavx512f)
set(ENGRAM_FEATURE_FLAGS_avx512bw -mavx512bw)
set(ENGRAM_FEATURE_FLAGS_avx512vl -mavx512vl)
set(ENGRAM_FEATURE_FLAGS_avx512dq -mavx512dq)
set(ENGRAM_FEATURE_FLAGS_neon "") # Advanced SIMD is baseline on AArch64

function(engram_add_plugin)
  cmake_parse_arguments(P "" "NAME;OUTPUT_DIR" "SOURCES;FEATURES" ${ARGN})
  if(NOT P_NAME OR NOT P_SOURCES)
    message(FATAL_ERROR "engram_add_plugin: NAME and SOURCES are required")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${ENGRAM_PLUGIN_OUTPUT_DIR})
  endif()
  set(target engram_plugin_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME engram_${P_NAME}
    PREFIX lib
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE engram_abi)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  foreach(f IN LISTS P_FEATURES)
    if(NOT DEFINED ENGRAM_FEATURE_FLAGS_${f})
      message(FATAL_ERROR "engram_add_plugin(${P_NAME}): unknown feature '${f}'")
    endif()
    target_compile_options(${target} PRIVATE ${ENGRAM_FEATURE_FLAGS_${f}})
  endforeach()
endfunction()
