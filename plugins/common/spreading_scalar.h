// Scalar spreading iteration, for graphs a vector backend cannot gather from
// (more than 2^31 - 1 nodes do not fit a signed 32-bit gather index). Same
// arithmetic as the vector paths: float products, double sums per node.
#pragma once

#include <cstdint>

namespace engram::plugin {

// One synchronous iteration cur -> next; returns max(0, max(next)).
inline float spread_iteration_scalar(const uint32_t* offsets, const uint32_t* sources,
                                     const float* weights, uint64_t n_nodes, float threshold,
                                     double decay, const float* cur, float* next) {
    float mx = 0.0f;
    for (uint64_t i = 0; i < n_nodes; ++i) {
        double sum = 0.0;
        for (uint64_t j = offsets[i]; j < offsets[i + 1]; ++j) {
            const float a = cur[sources[j]];
            if (a >= threshold) sum += static_cast<double>(weights[j] * a);
        }
        const float v = static_cast<float>(cur[i] + decay * sum);
        next[i] = v;
        mx = v > mx ? v : mx;
    }
    return mx;
}

}  // namespace engram::plugin
