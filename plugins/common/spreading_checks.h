// Argument checks shared by the SIMD spreading kernels, in the same order as
// the reference backend so every backend reports the same status for the same
// bad call: null pointers, then graph shape (offsets[0] == 0, non-decreasing),
// then missing edge arrays, then source indices, then scratch.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>

#include "scratch.h"

namespace engram::plugin {

// Offsets checked in scalar: one compare per node, cheap next to the
// iterations, and the early exit finds the first bad node.
inline engram_status check_offsets(const uint32_t* offsets, uint64_t n_nodes) {
    if (offsets[0] != 0) return ENGRAM_E_OUT_OF_RANGE;
    uint32_t bad = 0;
    for (uint64_t i = 0; i < n_nodes; ++i) bad |= offsets[i + 1] < offsets[i] ? 1u : 0u;
    return bad ? ENGRAM_E_OUT_OF_RANGE : ENGRAM_OK;
}

inline engram_status check_scratch(const void* scratch, uint64_t capacity, uint64_t n_nodes) {
    if (!scratch || capacity < spreading_scratch_bytes(n_nodes)) return ENGRAM_E_SCRATCH_TOO_SMALL;
    return ENGRAM_OK;
}

// Largest source index in [from, to), scalar; the backends use it for tails.
inline uint32_t max_source_scalar(const uint32_t* sources, uint64_t from, uint64_t to) {
    uint32_t mx = 0;
    for (uint64_t j = from; j < to; ++j) mx = sources[j] > mx ? sources[j] : mx;
    return mx;
}

}  // namespace engram::plugin
