// Spreading activation, AVX2.
//
// Source activations are fetched eight at a time with _mm256_i32gather_ps,
// masked by the threshold compare and multiplied by the weights in float;
// each node's sum is pairwise in float over up to 16 edges and in double
// beyond, so a hub with a huge in-degree still matches the double oracle.
// Normalisation divides (rather than multiplying by a reciprocal) to stay
// within rounding of the oracle.
// NaN/Inf in activations or weights propagate as IEEE arithmetic does; a NaN
// source activation never fires (the compare is false), like the oracle.
#include <cstring>

#include "../common/spreading_checks.h"
#include "../common/spreading_scalar.h"
#include "kernels_avx2.h"
#include "simd_avx2.h"

namespace engram::plugin::avx2 {
namespace {

uint32_t max_source(const uint32_t* sources, uint64_t m) {
    __m256i mx = _mm256_setzero_si256();
    uint64_t j = 0;
    for (; j + 8 <= m; j += 8) {
        mx = _mm256_max_epu32(mx, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sources + j)));
    }
    __m128i h = _mm_max_epu32(_mm256_castsi256_si128(mx), _mm256_extracti128_si256(mx, 1));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xb1));
    const uint32_t v = static_cast<uint32_t>(_mm_cvtsi128_si32(h));
    const uint32_t t = max_source_scalar(sources, j, m);
    return v > t ? v : t;
}

// Edges are processed a block at a time (at most kBlock edges, a run of whole
// nodes) in two passes, so no branch depends on one node's degree:
//   1. over the block's edges, flat, eight at a time: gather the source
//      activations, mask by the threshold, multiply by the weights, into a
//      stack buffer;
//   2. per node, sum its slice of the buffer sixteen floats at a time with
//      masked loads (one round for degree <= 16), pairwise in float inside a
//      round and in double across rounds.
// A node with more than kBlock in-edges (a hub) is summed on its own in
// double, eight gathered edges at a time.
constexpr uint64_t kBlock = 2048;

// w * a where a >= threshold, else 0, for eight edges; lanes outside m are 0.
inline __m256 contrib(const uint32_t* src, const float* w, const float* cur, __m256 thr) {
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    const __m256 a = _mm256_i32gather_ps(cur, idx, 4);
    return _mm256_and_ps(_mm256_cmp_ps(a, thr, _CMP_GE_OQ), _mm256_mul_ps(_mm256_loadu_ps(w), a));
}

inline __m256 contrib_masked(const uint32_t* src, const float* w, const float* cur, __m256 thr,
                             __m256i m) {
    const __m256i idx = _mm256_maskload_epi32(reinterpret_cast<const int*>(src), m);
    // Masked-off lanes read as 0 with weight 0: they add exactly 0.
    const __m256 a =
        _mm256_mask_i32gather_ps(_mm256_setzero_ps(), cur, idx, _mm256_castsi256_ps(m), 4);
    const __m256 w8 = _mm256_maskload_ps(w, m);
    return _mm256_and_ps(_mm256_cmp_ps(a, thr, _CMP_GE_OQ), _mm256_mul_ps(w8, a));
}

inline void add_wide(__m256 t, __m256d& s0, __m256d& s1) {
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
}

double hub_sum(const uint32_t* sources, const float* weights, uint64_t b, uint64_t e,
               const float* cur, __m256 thr) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    uint64_t j = b;
    for (; j + 8 <= e; j += 8) add_wide(contrib(sources + j, weights + j, cur, thr), s0, s1);
    if (j < e) {
        add_wide(contrib_masked(sources + j, weights + j, cur, thr, tail_mask(e - j)), s0, s1);
    }
    return hsum(_mm256_add_pd(s0, s1));
}

// Sum of t[0, deg), deg <= kBlock.
inline double slice_sum(const float* t, uint64_t deg) {
    double sum = 0.0;
    uint64_t k = 0;
    do {
        const uint64_t r = deg - k;
        const __m256i m0 = tail_mask(r < 8 ? r : 8);
        const __m256i m1 = tail_mask(r < 8 ? 0 : (r < 16 ? r - 8 : 8));
        const __m256 v = _mm256_add_ps(_mm256_maskload_ps(t + k, m0), _mm256_maskload_ps(t + k + 8, m1));
        sum += hsum(v);
        k += 16;
    } while (k < deg);
    return sum;
}

float iteration(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                uint64_t n_nodes, float threshold, double decay, const float* cur, float* next) {
    const __m256 thr = _mm256_set1_ps(threshold);
    alignas(64) float t[kBlock];
    float mx = 0.0f;
    uint64_t i = 0;
    while (i < n_nodes) {
        const uint64_t b = offsets[i];
        if (offsets[i + 1] - b > kBlock) {  // a hub
            const double sum = hub_sum(sources, weights, b, offsets[i + 1], cur, thr);
            const float v = static_cast<float>(cur[i] + decay * sum);
            next[i] = v;
            mx = v > mx ? v : mx;
            ++i;
            continue;
        }
        uint64_t i1 = i + 1;
        while (i1 < n_nodes && offsets[i1 + 1] - b <= kBlock) ++i1;
        const uint64_t e = offsets[i1];
        // Pass 1: contributions of edges [b, e) into t[0, e - b).
        uint64_t j = b;
        for (; j + 8 <= e; j += 8) {
            _mm256_store_ps(t + (j - b), contrib(sources + j, weights + j, cur, thr));
        }
        if (j < e) {
            _mm256_store_ps(t + (j - b), contrib_masked(sources + j, weights + j, cur, thr,
                                                         tail_mask(e - j)));
        }
        // Pass 2: per node sums.
        for (; i < i1; ++i) {
            const uint64_t nb = offsets[i];
            const double sum = slice_sum(t + (nb - b), offsets[i + 1] - nb);
            const float v = static_cast<float>(cur[i] + decay * sum);
            next[i] = v;
            mx = v > mx ? v : mx;
        }
    }
    return mx;
}

void normalise(float* v, uint64_t n, float mx) {
    const __m256 d = _mm256_set1_ps(mx);
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(v + i, _mm256_div_ps(_mm256_loadu_ps(v + i), d));
    for (; i < n; ++i) v[i] /= mx;
}

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

    // Gather indices are signed 32-bit with scale 4.
    const bool gatherable = n_nodes <= 0x7fffffffu;
    float* cur = activation;
    float* next = static_cast<float*>(scratch);
    const double decay = params->decay;
    for (uint32_t it = 0; it < params->iterations; ++it) {
        const float mx =
            gatherable
                ? iteration(offsets, sources, weights, n_nodes, params->threshold, decay, cur, next)
                : spread_iteration_scalar(offsets, sources, weights, n_nodes, params->threshold,
                                          decay, cur, next);
        if (mx > 1.0f) normalise(next, n_nodes, mx);
        float* t = cur;
        cur = next;
        next = t;
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

}  // namespace engram::plugin::avx2
