// Spreading activation, AVX2: the implementation, header-only so that the
// avx512 backend (which measured no gain from 16-wide gathers on the Zen 5
// parts it was tuned on) compiles the very same code with its own flags.
//
// Source activations are fetched eight at a time (gather8 below), masked by
// the threshold compare and multiplied by the weights in float;
// each node's sum is pairwise in float over up to 16 edges and in double
// beyond, so a hub with a huge in-degree still matches the double oracle.
// Normalisation divides (rather than multiplying by a reciprocal) to stay
// within rounding of the oracle.
// NaN/Inf in activations or weights propagate as IEEE arithmetic does; a NaN
// source activation never fires (the compare is false), like the oracle.
#pragma once

#include <cstring>

#include "../common/spreading_checks.h"
#include "../common/spreading_scalar.h"
#include "simd_avx2.h"

namespace engram::plugin::avx2 {
namespace spreading_detail {

inline uint32_t max_source(const uint32_t* sources, uint64_t m) {
    __m256i mx = _mm256_setzero_si256();
    uint64_t j = 0;
    for (; j + 8 <= m; j += 8) {
        mx =
            _mm256_max_epu32(mx, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sources + j)));
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
// double, eight gathered edges at a time. The buffer lives on the stack
// (kBlock floats): kernels never allocate, and the scratch the caller gives
// holds only the second activation vector.
constexpr uint64_t kBlock = 4096;

// cur[src[0..8)]. Eight scalar loads and inserts: on the Zen 5 EPYC this
// was tuned on they beat vgatherdps (~0.23 vs ~0.41 ns per element).
inline __m256 gather8(const float* cur, const uint32_t* src) {
    return _mm256_setr_ps(cur[src[0]], cur[src[1]], cur[src[2]], cur[src[3]], cur[src[4]],
                          cur[src[5]], cur[src[6]], cur[src[7]]);
}

// w * a where a >= threshold, else 0, for eight edges; lanes outside m are 0.
inline __m256 contrib(const uint32_t* src, const float* w, const float* cur, __m256 thr) {
    const __m256 a = gather8(cur, src);
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

inline double hub_sum(const uint32_t* sources, const float* weights, uint64_t b, uint64_t e,
                      const float* cur, __m256 thr) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    uint64_t j = b;
    for (; j + 8 <= e; j += 8) add_wide(contrib(sources + j, weights + j, cur, thr), s0, s1);
    if (j < e) {
        add_wide(contrib_masked(sources + j, weights + j, cur, thr, tail_mask(e - j)), s0, s1);
    }
    return hsum(_mm256_add_pd(s0, s1));
}

// t[0, min(deg, 16)) in eight lanes (two masked loads added), rest zero.
// Two single selects (cmov), not a nested ternary: a branch here would
// mispredict on every other node of a random-degree graph.
inline __m256 slice16(const float* t, uint64_t deg) {
    const uint64_t r0 = deg < 8 ? deg : 8;
    const uint64_t r1 = deg - r0 < 8 ? deg - r0 : 8;
    return _mm256_add_ps(_mm256_maskload_ps(t, tail_mask(r0)),
                         _mm256_maskload_ps(t + 8, tail_mask(r1)));
}

// Sum of t[0, deg), deg <= kBlock: pairwise in float within 16, double beyond.
inline double slice_sum(const float* t, uint64_t deg) {
    double sum = 0.0;
    uint64_t k = 0;
    do {
        sum += hsum(slice16(t + k, deg - k));
        k += 16;
    } while (k < deg);
    return sum;
}

// Redoes, in double across rounds, the sums of the nodes among i..i+3 with
// more than 16 in-edges (slice16 saw only their first 16).
inline __m256d long_slices(__m256d sum, const float* t, const uint32_t* offsets, uint64_t i,
                           uint64_t b) {
    alignas(32) double s[4];
    _mm256_store_pd(s, sum);
    for (uint64_t l = 0; l < 4; ++l) {
        const uint64_t deg = offsets[i + l + 1] - offsets[i + l];
        if (deg > 16) s[l] = slice_sum(t + (offsets[i + l] - b), deg);
    }
    return _mm256_load_pd(s);
}

inline float iteration(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                       uint64_t n_nodes, float threshold, double decay, const float* cur,
                       float* next) {
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
            _mm256_store_ps(t + (j - b),
                            contrib_masked(sources + j, weights + j, cur, thr, tail_mask(e - j)));
        }
        // Pass 2: per node sums, four nodes at a time.
        __m128 mx4 = _mm_setzero_ps();
        for (; i + 4 <= i1; i += 4) {
            const __m128i o = _mm_loadu_si128(reinterpret_cast<const __m128i*>(offsets + i));
            const __m128i o_next =
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(offsets + i + 1));
            const __m128i d = _mm_sub_epi32(o_next, o);
            alignas(16) uint32_t deg[4];
            _mm_store_si128(reinterpret_cast<__m128i*>(deg), d);
            // Degrees are <= kBlock here, so a signed compare is exact.
            const int long_mask =
                _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(d, _mm_set1_epi32(16))));
            const float* base = t + (offsets[i] - b);
            const __m256 v0 = slice16(base, deg[0]);
            base += deg[0];
            const __m256 v1 = slice16(base, deg[1]);
            base += deg[1];
            const __m256 v2 = slice16(base, deg[2]);
            base += deg[2];
            const __m256 v3 = slice16(base, deg[3]);
            __m256d sum = _mm256_cvtps_pd(hsum4(v0, v1, v2, v3));
            if (long_mask) sum = long_slices(sum, t, offsets, i, b);
            const __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(cur + i));
            const __m128 v = _mm256_cvtpd_ps(_mm256_fmadd_pd(sum, _mm256_set1_pd(decay), c));
            _mm_storeu_ps(next + i, v);
            mx4 = _mm_max_ps(v, mx4);  // v first: a NaN v leaves the max alone
        }
        for (; i < i1; ++i) {
            const uint64_t nb = offsets[i];
            const double sum = slice_sum(t + (nb - b), offsets[i + 1] - nb);
            const float v = static_cast<float>(cur[i] + decay * sum);
            next[i] = v;
            mx = v > mx ? v : mx;
        }
        mx4 = _mm_max_ps(mx4, _mm_movehl_ps(mx4, mx4));
        mx4 = _mm_max_ss(mx4, _mm_movehdup_ps(mx4));
        const float m4 = _mm_cvtss_f32(mx4);
        mx = m4 > mx ? m4 : mx;
    }
    return mx;
}

inline void normalise(float* v, uint64_t n, float mx) {
    const __m256 d = _mm256_set1_ps(mx);
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(v + i, _mm256_div_ps(_mm256_loadu_ps(v + i), d));
    for (; i < n; ++i) v[i] /= mx;
}

}  // namespace spreading_detail

inline engram_status spread_impl(const uint32_t* offsets, const uint32_t* sources,
                                 const float* weights, uint64_t n_nodes,
                                 const engram_spread_params* params, float* activation,
                                 void* scratch, uint64_t scratch_capacity) {
    if (!params || !offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (n_nodes == 0) return ENGRAM_OK;
    if (!activation) return ENGRAM_E_INVALID_ARGUMENT;
    if (check_offsets(offsets, n_nodes) != ENGRAM_OK) return ENGRAM_E_OUT_OF_RANGE;
    const uint64_t m = offsets[n_nodes];
    if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
    if (m && spreading_detail::max_source(sources, m) >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    if (check_scratch(scratch, scratch_capacity, n_nodes) != ENGRAM_OK) {
        return ENGRAM_E_SCRATCH_TOO_SMALL;
    }

    // Gather indices are signed 32-bit with scale 4.
    const bool gatherable = n_nodes <= 0x7fffffffu;
    float* cur = activation;
    float* next = static_cast<float*>(scratch);
    const double decay = params->decay;
    for (uint32_t it = 0; it < params->iterations; ++it) {
        const float mx = gatherable
                             ? spreading_detail::iteration(offsets, sources, weights, n_nodes,
                                                           params->threshold, decay, cur, next)
                             : spread_iteration_scalar(offsets, sources, weights, n_nodes,
                                                       params->threshold, decay, cur, next);
        if (mx > 1.0f) spreading_detail::normalise(next, n_nodes, mx);
        float* t = cur;
        cur = next;
        next = t;
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

}  // namespace engram::plugin::avx2
