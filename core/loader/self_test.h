// The quick in-process self-test, the second line behind the deep self-test
// the validation child runs: each kernel on small canary inputs (odd tails,
// unaligned pointers, zero vectors, self loops, duplicate edges, a bad
// source index, negative ages, stability_scalar = 0 with an array) judged by
// the shared oracle checks (validation/kernel_checks.h).
#pragma once

#include <engram/kernel_abi.h>

#include <filesystem>

namespace engram {

// Throws engram::Error (E_SELFTEST_*) naming `file`, the kernel and the
// first failing case.
void run_self_test(const engram_kernel_table& table, const std::filesystem::path& file);

}  // namespace engram
