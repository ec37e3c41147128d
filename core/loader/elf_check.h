// A cheap structural check of a plugin file before anything maps it: dlopen
// of a truncated shared object can SIGBUS the process that maps it, and a
// file for another machine only fails deep inside the dynamic loader.
#pragma once

#include <filesystem>

namespace engram {

// Throws Error(E_PLUGIN_FILE_INVALID) naming `shown_as` when `file` is not a
// 64-bit little-endian ELF shared object (ET_DYN) for this machine, or when
// its program headers, its loadable segments or its section header table
// reach past the end of the file (a truncated copy).
void check_elf_file(const std::filesystem::path& file, const std::filesystem::path& shown_as);

}  // namespace engram
