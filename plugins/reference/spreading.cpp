#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace engram_reference {

engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity) {
    if (!params || !offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (n_nodes == 0) return ENGRAM_OK;
    if (!activation) return ENGRAM_E_INVALID_ARGUMENT;
    // Validate the whole graph first: a bad index is an error, never a skip.
    if (offsets[0] != 0) return ENGRAM_E_OUT_OF_RANGE;
    for (uint64_t i = 0; i < n_nodes; ++i)
        if (offsets[i + 1] < offsets[i]) return ENGRAM_E_OUT_OF_RANGE;
    const uint64_t m = offsets[n_nodes];
    if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
    for (uint64_t j = 0; j < m; ++j)
        if (sources[j] >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    if (scratch_capacity < n_nodes * sizeof(float) || !scratch) return ENGRAM_E_SCRATCH_TOO_SMALL;

    float* next = static_cast<float*>(scratch);
    float* cur = activation;
    const float threshold = params->threshold;
    const double decay = params->decay;
    for (uint32_t it = 0; it < params->iterations; ++it) {
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
        if (mx > 1.0f) {
            const float inv = 1.0f / mx;  // one division, n multiplies
            for (uint64_t i = 0; i < n_nodes; ++i) next[i] *= inv;
        }
        float* t = cur;
        cur = next;
        next = t;
    }
    // After an odd number of iterations the result sits in scratch.
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

}  // namespace engram_reference
