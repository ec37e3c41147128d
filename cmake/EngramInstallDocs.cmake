# Install-time script (install(CODE) in EngramInstall.cmake, component host):
# copies every docs/**/*.md (and the images they show) to ${ENGRAM_DOCS_DEST} (share/doc/engram) with its
# relative links made to work where it lands:
#   - a link to another doc stays as it is (the whole docs/ tree is installed);
#   - a link to a repository file that is installed elsewhere (the example
#     config, the alert rules, the systemd unit) points at the installed copy;
#   - a link to any other repository file (sources, scripts, the deploy kit)
#     becomes plain text naming the file "in the source tree".
# tests/docs/check_docs.py installed-links checks the result.
# In: ENGRAM_DOCS_SRC (the source docs/), ENGRAM_DOCS_DEST (prefix-relative),
#     ENGRAM_DOCS_INSTALLED (list of "repo-relative-path=prefix-relative-path").
set(_root "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(_dest "${_root}/${ENGRAM_DOCS_DEST}")
cmake_path(GET ENGRAM_DOCS_SRC PARENT_PATH _repo)
# Images and other assets the docs show (e.g. benchmarks/*.svg), as they are.
file(GLOB_RECURSE _assets RELATIVE "${ENGRAM_DOCS_SRC}" "${ENGRAM_DOCS_SRC}/*.svg" "${ENGRAM_DOCS_SRC}/*.png")
foreach(_a IN LISTS _assets)
  configure_file("${ENGRAM_DOCS_SRC}/${_a}" "${_dest}/${_a}" COPYONLY)
endforeach()
file(GLOB_RECURSE _docs RELATIVE "${ENGRAM_DOCS_SRC}" "${ENGRAM_DOCS_SRC}/*.md")
foreach(_doc IN LISTS _docs)
  file(READ "${ENGRAM_DOCS_SRC}/${_doc}" _text)
  cmake_path(GET _doc PARENT_PATH _sub)
  # [text](target) with a relative target that leaves docs/.
  string(REGEX MATCHALL "\\[[^]\n]*\\]\\(\\.\\./[^)#\n ]*(#[^)\n ]*)?\\)" _links "${_text}")
  list(REMOVE_DUPLICATES _links)
  foreach(_link IN LISTS _links)
    string(REGEX REPLACE "^\\[([^]]*)\\]\\((.*)\\)$" "\\1" _label "${_link}")
    string(REGEX REPLACE "^\\[([^]]*)\\]\\((.*)\\)$" "\\2" _target "${_link}")
    set(_frag "")
    string(FIND "${_target}" "#" _hash)
    if(_hash GREATER -1)
      string(SUBSTRING "${_target}" ${_hash} -1 _frag)
      string(SUBSTRING "${_target}" 0 ${_hash} _target)
    endif()
    set(_abs "${ENGRAM_DOCS_SRC}/${_sub}/${_target}")
    cmake_path(NORMAL_PATH _abs)
    cmake_path(IS_PREFIX ENGRAM_DOCS_SRC "${_abs}" NORMALIZE _inside)
    if(_inside)
      continue()  # another doc: installed beside it
    endif()
    cmake_path(RELATIVE_PATH _abs BASE_DIRECTORY "${_repo}" OUTPUT_VARIABLE _rel)
    string(REGEX REPLACE "/$" "" _rel "${_rel}")
    set(_new "")
    foreach(_pair IN LISTS ENGRAM_DOCS_INSTALLED)
      string(REPLACE "=" ";" _kv "${_pair}")
      list(GET _kv 0 _from)
      list(GET _kv 1 _to)
      if(_rel STREQUAL _from)
        set(_here "${_root}/${ENGRAM_DOCS_DEST}/${_sub}")
        cmake_path(RELATIVE_PATH _root BASE_DIRECTORY "${_here}" OUTPUT_VARIABLE _up)
        set(_new "[${_label}](${_up}/${_to}${_frag})")
      endif()
    endforeach()
    if(_new STREQUAL "" AND _label MATCHES "`")
      set(_new "${_label} (in the source tree)")  # the label names the file already
    elseif(_new STREQUAL "")
      set(_new "${_label} (`${_rel}` in the source tree)")
    endif()
    string(REPLACE "${_link}" "${_new}" _text "${_text}")
  endforeach()
  file(WRITE "${_dest}/${_doc}" "${_text}")
  message(STATUS "Installing (links adjusted): ${_dest}/${_doc}")
endforeach()
