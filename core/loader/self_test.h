// The self-test every plugin passes before its first real call: each kernel
// on small built-in canary inputs (odd tails, unaligned pointers, zero
// vectors, self loops, duplicate edges, a bad source index, negative ages)
// compared with the double-precision oracle within the documented tolerances.
#pragma once

#include <filesystem>

#include <engram/kernel_abi.h>

namespace engram {

// Throws engram::Error(E_SELFTEST_STATUS | E_SELFTEST_NUMERICS) naming `file`,
// the kernel and the first failing case.
void run_self_test(const engram_kernel_table& table, const std::filesystem::path& file);

}  // namespace engram
