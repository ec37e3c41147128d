// The pull iteration and the in-edge checks of the reference backend's
// spread (spreading.cpp), for spread_push (spreading_push.cpp, ABI 1.2): the
// same loop and the same checks in the same order, checked against the same
// oracle. spread keeps its own copy on purpose: with its loop moved into
// this function, GCC 12's spread ran spreading/reference/1000x8 in 60-105 us,
// bimodal across processes (168 us before this change), while the unchanged
// loop in the rebuilt plugin ran 126-145 us: the steadier of the two is the
// denominator of every spreading ratio in the regression gate.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>

namespace engram_reference {

// cur -> next over the in-edge CSR; returns max(0, max(next)).
inline float pull_iteration(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                            uint64_t n_nodes, float threshold, double decay, const float* cur,
                            float* next) {
    float mx = 0.0f;
    for (uint64_t i = 0; i < n_nodes; ++i) {
        double sum = 0.0;
        for (uint32_t j = offsets[i]; j < offsets[i + 1]; ++j) {
            const float a = cur[sources[j]];
            if (a >= threshold) sum += static_cast<double>(weights[j]) * a;
        }
        const float v = static_cast<float>(cur[i] + decay * sum);
        next[i] = v;
        if (v > mx) mx = v;
    }
    return mx;
}

// Spread's checks of the in-edge CSR, in the ABI's order (after the null and
// empty checks): offsets, then missing edge arrays, then source indices.
inline engram_status check_in_edges(const uint32_t* offsets, const uint32_t* sources,
                                    const float* weights, uint64_t n_nodes) {
    if (offsets[0] != 0) return ENGRAM_E_OUT_OF_RANGE;
    for (uint64_t i = 0; i < n_nodes; ++i)
        if (offsets[i + 1] < offsets[i]) return ENGRAM_E_OUT_OF_RANGE;
    const uint64_t m = offsets[n_nodes];
    if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
    for (uint64_t j = 0; j < m; ++j)
        if (sources[j] >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    return ENGRAM_OK;
}

}  // namespace engram_reference
