// Spreading activation, NEON.
//
// AArch64 has no gather: per node, its in-edges are read four at a time, the
// four source activations loaded one by one into a vector, masked by the
// threshold compare (vcgeq: false for NaN, so a NaN source never fires, like
// the oracle) and multiplied by the weights in float. The float partial sums
// are moved to double every 16 edges, so a hub with a huge in-degree still
// matches the double oracle. Normalisation divides, like the oracle.
// NaN/Inf in activations or weights otherwise propagate as IEEE arithmetic does.
#include <arm_neon.h>

#include <cstring>

#include "../common/spreading_checks.h"
#include "../common/spreading_push.h"
#include "kernels_neon.h"

namespace engram::plugin::neon {
namespace {

uint32_t max_source(const uint32_t* sources, uint64_t m) {
    uint32x4_t mx = vdupq_n_u32(0);
    uint64_t j = 0;
    for (; j + 4 <= m; j += 4) mx = vmaxq_u32(mx, vld1q_u32(sources + j));
    const uint32_t v = vmaxvq_u32(mx);
    const uint32_t t = max_source_scalar(sources, j, m);
    return v > t ? v : t;
}

inline float32x4_t contrib4(const uint32_t* src, const float* w, const float* cur,
                            float32x4_t thr) {
    float32x4_t a = vdupq_n_f32(cur[src[0]]);
    a = vsetq_lane_f32(cur[src[1]], a, 1);
    a = vsetq_lane_f32(cur[src[2]], a, 2);
    a = vsetq_lane_f32(cur[src[3]], a, 3);
    const uint32x4_t fire = vcgeq_f32(a, thr);
    return vreinterpretq_f32_u32(
        vandq_u32(fire, vreinterpretq_u32_f32(vmulq_f32(vld1q_f32(w), a))));
}

float iteration(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                uint64_t n_nodes, float threshold, double decay, const float* cur, float* next) {
    const float32x4_t thr = vdupq_n_f32(threshold);
    float mx = 0.0f;
    for (uint64_t i = 0; i < n_nodes; ++i) {
        const uint64_t e = offsets[i + 1];
        uint64_t j = offsets[i];
        float64x2_t d0 = vdupq_n_f64(0.0), d1 = d0;
        while (j + 4 <= e) {
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int round = 0; round < 4 && j + 4 <= e; ++round, j += 4) {
                acc = vaddq_f32(acc, contrib4(sources + j, weights + j, cur, thr));
            }
            d0 = vaddq_f64(d0, vcvt_f64_f32(vget_low_f32(acc)));
            d1 = vaddq_f64(d1, vcvt_high_f64_f32(acc));
        }
        double sum = vaddvq_f64(vaddq_f64(d0, d1));
        for (; j < e; ++j) {
            const float a = cur[sources[j]];
            if (a >= threshold) sum += static_cast<double>(weights[j] * a);
        }
        const float v = static_cast<float>(cur[i] + decay * sum);
        next[i] = v;
        mx = v > mx ? v : mx;
    }
    return mx;
}

void normalise(float* v, uint64_t n, float mx) {
    const float32x4_t d = vdupq_n_f32(mx);
    uint64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(v + i, vdivq_f32(vld1q_f32(v + i), d));
    for (; i < n; ++i) v[i] /= mx;
}

struct PushSweeps : ScalarPushSweeps {
    static uint32_t max_index(const uint32_t* v, uint64_t m) { return max_source(v, m); }
    static void normalise(float* v, uint64_t n, float mx) { neon::normalise(v, n, mx); }
};

}  // namespace

engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity) {
    if (!params || !offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (n_nodes == 0) return ENGRAM_OK;
    if (!activation) return ENGRAM_E_INVALID_ARGUMENT;
    if (check_offsets(offsets, n_nodes) != ENGRAM_OK) return ENGRAM_E_OUT_OF_RANGE;
    const uint64_t m = offsets[n_nodes];
    if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
    if (m && max_source(sources, m) >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    if (check_scratch(scratch, scratch_capacity, n_nodes) != ENGRAM_OK) {
        return ENGRAM_E_SCRATCH_TOO_SMALL;
    }

    float* cur = activation;
    float* next = static_cast<float*>(scratch);
    const double decay = params->decay;
    for (uint32_t it = 0; it < params->iterations; ++it) {
        const float mx =
            iteration(offsets, sources, weights, n_nodes, params->threshold, decay, cur, next);
        if (mx > 1.0f) normalise(next, n_nodes, mx);
        float* t = cur;
        cur = next;
        next = t;
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

// ABI 1.2: the shared driver (plugins/common/spreading_push.h), its scalar
// collect and update sweeps (correct under qemu; no AArch64 hardware here to
// tune vector ones on) and this backend's pull iteration.
engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity) {
    const double decay = params ? params->decay : 0.0;
    const float threshold = params ? params->threshold : 0.0f;
    return spread_push_driver<PushSweeps>(
        offsets, out, n_nodes, params, activation, scratch, scratch_capacity,
        [&]() -> engram_status {
            if (check_offsets(offsets, n_nodes) != ENGRAM_OK) return ENGRAM_E_OUT_OF_RANGE;
            const uint64_t m = offsets[n_nodes];
            if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
            if (m && max_source(sources, m) >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
            return ENGRAM_OK;
        },
        [&](const float* cur, float* next) {
            return iteration(offsets, sources, weights, n_nodes, threshold, decay, cur, next);
        });
}

}  // namespace engram::plugin::neon
