// Each load reads its own private copy of the plugin file. dlopen() of a path
// that is already open returns the old image, so without a copy a rebuilt
// plugin at the same path would never really load; a copy means an in-place
// overwrite of the operator's file cannot fault code that runs; and the
// validation child tests exactly the bytes the host then maps.
//
// Copies live in a per-process directory, <runtime>/engram-plugins.<pid>
// (mode 0700), where <runtime> is $RUNTIME_DIRECTORY (systemd's
// RuntimeDirectory=; the first entry if it lists several), else $TMPDIR,
// else /tmp. A copy is removed as soon as it is mapped; the directories of
// processes that died (a crash, SIGKILL) are swept when the next one starts.
#pragma once

#include <filesystem>

namespace engram {

// Copies `file` to a unique path in the private directory and returns that
// path. The caller loads it and removes it; the mapping outlives the unlink.
// Throws engram::Error(E_PLUGIN_NOT_FOUND | E_PLUGIN_COPY).
std::filesystem::path make_private_copy(const std::filesystem::path& file);

// This process's private directory (created, and stale ones swept, on first use).
std::filesystem::path private_copy_dir();

// Removes <runtime>/engram-plugins.<pid> of every pid that no longer runs;
// returns how many it removed. Called on the first copy a process makes
// (engramd's first plugin load, at start).
int sweep_stale_private_dirs();

}  // namespace engram
