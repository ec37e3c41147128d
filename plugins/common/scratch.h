// Scratch sizing shared by the SIMD backends. Only spreading needs scratch:
// the synchronous update reads one activation vector while writing the other.
// The buffer is used with unaligned loads and stores, so exactly n floats are
// enough (the same amount the reference backend asks for).
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>

namespace engram::plugin {

inline uint64_t spreading_scratch_bytes(uint64_t n_nodes) {
    constexpr uint64_t kMax = UINT64_MAX / sizeof(float);
    return n_nodes > kMax ? UINT64_MAX : n_nodes * sizeof(float);
}

inline uint64_t simd_scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    if (kernel == ENGRAM_KERNEL_SPREADING && shape) return spreading_scratch_bytes(shape->n);
    return 0;
}

}  // namespace engram::plugin
