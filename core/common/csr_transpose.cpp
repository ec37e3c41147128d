#include "common/csr_transpose.h"

#include <algorithm>
#include <vector>

namespace engram {

void transpose_csr(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                   uint64_t n, uint32_t* out_offsets, uint32_t* targets, float* out_weights) {
    std::fill(out_offsets, out_offsets + n + 1, 0u);
    if (n == 0) return;
    const uint64_t m = offsets[n];
    // The in-edge range of node i, clamped to [0, m) and empty when its
    // offsets decrease.
    const auto range = [&](uint64_t i, uint64_t& b, uint64_t& e) {
        b = std::min<uint64_t>(offsets[i], m);
        e = std::min<uint64_t>(offsets[i + 1], m);
        if (e < b) e = b;
    };
    uint64_t b = 0, e = 0;
    for (uint64_t i = 0; i < n; ++i) {
        range(i, b, e);
        for (uint64_t j = b; j < e; ++j)
            if (sources[j] < n) ++out_offsets[sources[j] + 1];
    }
    for (uint64_t u = 0; u < n; ++u) out_offsets[u + 1] += out_offsets[u];
    std::vector<uint32_t> cursor(out_offsets, out_offsets + n);
    for (uint64_t i = 0; i < n; ++i) {
        range(i, b, e);
        for (uint64_t j = b; j < e; ++j) {
            const uint32_t u = sources[j];
            if (u >= n) continue;
            const uint32_t k = cursor[u]++;
            targets[k] = static_cast<uint32_t>(i);
            out_weights[k] = weights[j];
        }
    }
}

}  // namespace engram
