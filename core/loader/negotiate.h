// ABI negotiation of a plugin's table, on its own so it can be tested and
// fuzzed without a shared object (tests/fuzz/fuzz_plugin_table.cpp):
// struct_size first, another major refused, any minor accepted, only the
// prefix both sides know copied (fields a newer minor adds are ignored,
// fields an older minor lacks are zeroed); every required pointer non-null;
// the name [a-z0-9_]{1,64}, read at most 65 bytes. map_plugin calls it on the
// table the entry point returned.
#pragma once

#include <filesystem>

#include "engram/kernel_abi.h"

namespace engram {

// The negotiated copy of *raw, or engram::Error (E_PLUGIN_NULL_TABLE,
// E_ABI_STRUCT_SIZE, E_ABI_MAJOR, E_ABI_NULL_POINTER, E_ABI_BAD_NAME) naming
// `file`. Reads min(raw->struct_size, sizeof(engram_kernel_table)) bytes of
// *raw and the NUL-terminated name (at most 65 bytes of it).
engram_kernel_table negotiate_table(const engram_kernel_table* raw,
                                    const std::filesystem::path& file);

}  // namespace engram
