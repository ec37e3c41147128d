// A loaded, validated kernel backend. Whoever holds a shared_ptr to it (a
// kernel-set snapshot, an in-flight request) may call its kernels. The library is never unmapped,
// even after the last holder lets go: a thread the plugin started may still run its code
// (plugin_loader.cpp, retire()).
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/file_stamp.h"

namespace engram {

class Plugin {
  public:
    virtual ~Plugin() = default;

    // The file the operator named (not the private copy that was loaded).
    virtual const std::filesystem::path& path() const = 0;
    // The table as the host reads it: ABI 1.0 fields copied from the plugin,
    // any field the plugin's minor did not have zeroed.
    virtual const engram_kernel_table& table() const = 0;
    // Hex SHA-256 of the file's bytes at load time.
    virtual const std::string& sha256() const = 0;
    // The file's stamp taken just before it was copied and hashed (nullopt
    // if it could not be taken): unchanged since then means same bytes.
    virtual const std::optional<FileStamp>& file_stamp() const = 0;

    const char* name() const { return table().name; }
    const char* version() const { return table().version; }
};

}  // namespace engram
