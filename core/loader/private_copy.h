// Each load reads its own private copy of the plugin file. dlopen() of a path
// that is already open returns the old image, so without a copy a rebuilt
// plugin at the same path would never really load; and a copy means an
// in-place overwrite of the operator's file cannot fault code that runs.
#pragma once

#include <filesystem>

namespace engram {

// Copies `file` to a unique path in a per-process private directory
// (under $TMPDIR or /tmp, mode 0700) and returns that path. The caller loads
// it and removes it; the mapping outlives the unlink. Throws
// engram::Error(E_PLUGIN_NOT_FOUND | E_PLUGIN_COPY).
std::filesystem::path make_private_copy(const std::filesystem::path& file);

}  // namespace engram
