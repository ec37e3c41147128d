// Scratch sizing shared by the backends. Only spreading needs scratch: the
// synchronous update reads one activation vector while writing the other.
// The buffer is used with unaligned loads and stores, so exactly n floats are
// enough (the same amount the reference backend asks for). spread_push
// (ABI 1.2) needs more: see spread_push_scratch_bytes.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>

namespace engram::plugin {

inline uint64_t spreading_scratch_bytes(uint64_t n_nodes) {
    constexpr uint64_t kMax = UINT64_MAX / sizeof(float);
    return n_nodes > kMax ? UINT64_MAX : n_nodes * sizeof(float);
}

// Scratch of spread_push for n nodes: the pull iterations' second activation
// vector (n floats), the push accumulator (n doubles rounded up to whole
// groups of eight, 8-byte aligned), the firing list (n indices), one
// "touched" byte per eight nodes (counted as one per node), plus slack for
// the alignment and the rounding of the accumulator: 17 n + 128 bytes.
inline uint64_t spread_push_scratch_bytes(uint64_t n) {
    constexpr uint64_t kPerNode = sizeof(float) + sizeof(double) + sizeof(uint32_t) + 1;
    if (n > (UINT64_MAX - 128) / kPerNode) return UINT64_MAX;
    return n * kPerNode + 128;
}

inline uint64_t simd_scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    if (kernel == ENGRAM_KERNEL_SPREADING && shape) return spreading_scratch_bytes(shape->n);
    if (kernel == ENGRAM_KERNEL_SPREAD_PUSH && shape) return spread_push_scratch_bytes(shape->n);
    return 0;
}

}  // namespace engram::plugin
