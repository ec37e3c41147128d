// Spreading activation, AVX2: the implementation, header-only so that the
// avx512 backend (which measured no gain from 16-wide gathers on the Zen 5
// parts it was tuned on) compiles the very same code with its own flags.
//
// Source activations are fetched eight at a time (gather8 below), masked by
// the threshold compare and multiplied by the weights in float;
// each node's sum is in float over up to 16 edges (pairwise, or in edge order
// for the short rows of pass 2 below) and in double beyond, so a hub with a
// huge in-degree still matches the double oracle.
// Normalisation divides (rather than multiplying by a reciprocal) to stay
// within rounding of the oracle.
// NaN/Inf in activations or weights propagate as IEEE arithmetic does; a NaN
// source activation never fires (the compare is false), like the oracle.
#pragma once

#include <algorithm>
#include <cstring>

#include "../common/spreading_checks.h"
#include "../common/spreading_push.h"
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

// check_offsets (spreading_checks.h) eight pairs per compare: spread_push
// checks two CSRs, and on a random graph of WordNet's size (82k nodes, 232k
// edges, 10 iterations) the scalar loop left its checks at 100 of 345 us
// (46 with this).
inline engram_status check_offsets8(const uint32_t* offsets, uint64_t n) {
    if (offsets[0] != 0) return ENGRAM_E_OUT_OF_RANGE;
    __m256i bad = _mm256_setzero_si256();
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets + i + 1));
        // b < a (unsigned) iff max(a, b) != b
        bad = _mm256_or_si256(bad, _mm256_xor_si256(_mm256_max_epu32(a, b), b));
    }
    uint32_t tail = 0;
    for (; i < n; ++i) tail |= offsets[i + 1] < offsets[i] ? 1u : 0u;
    return tail || !_mm256_testz_si256(bad, bad) ? ENGRAM_E_OUT_OF_RANGE : ENGRAM_OK;
}

// Edges are processed a block at a time (at most kBlock edges, a run of whole
// nodes) in two passes, so no branch depends on one node's degree:
//   1. over the block's edges, flat, eight at a time: gather the source
//      activations, mask by the threshold, multiply by the weights, into a
//      stack buffer;
//   2. per node, sum its slice of the buffer: eight nodes at once when all
//      eight have at most kShort in-edges (short rows, below); otherwise
//      four at a time, sixteen floats per node and round with masked loads
//      (one round for degree <= 16), pairwise in float inside a round and in
//      double across rounds. In quiet mode (iteration<true>, while few
//      edges fire) a group of eight nodes none of whose in-edges fired is
//      not summed at all: its sums are +0.
// The block's end is found by binary search over the offsets: a scan cost
// ~1.5 ns per node on graphs of ~3 edges per node.
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

// The first edges of eight (lanes where m is set); which of them fired into
// *fired when given (bits of lanes outside m clear).
inline __m256 contrib_masked(const uint32_t* src, const float* w, const float* cur, __m256 thr,
                             __m256i m, uint8_t* fired = nullptr) {
    const __m256i idx = _mm256_maskload_epi32(reinterpret_cast<const int*>(src), m);
    // Masked-off lanes read as 0 with weight 0: they add exactly 0.
    const __m256 a =
        _mm256_mask_i32gather_ps(_mm256_setzero_ps(), cur, idx, _mm256_castsi256_ps(m), 4);
    const __m256 w8 = _mm256_maskload_ps(w, m);
    const __m256 f = _mm256_cmp_ps(a, thr, _CMP_GE_OQ);
    if (fired)
        *fired = static_cast<uint8_t>(_mm256_movemask_ps(_mm256_and_ps(f, _mm256_castsi256_ps(m))));
    return _mm256_and_ps(f, _mm256_mul_ps(w8, a));
}

// The same as contrib, and which of the eight edges fired (bit k: edge k's
// source was at or above the threshold) into *fired.
inline __m256 contrib_fired(const uint32_t* src, const float* w, const float* cur, __m256 thr,
                            uint8_t* fired) {
    const __m256 a = gather8(cur, src);
    const __m256 f = _mm256_cmp_ps(a, thr, _CMP_GE_OQ);
    *fired = static_cast<uint8_t>(_mm256_movemask_ps(f));
    return _mm256_and_ps(f, _mm256_mul_ps(_mm256_loadu_ps(w), a));
}

// Whether any edge in [s, e) of the block fired: bit k of the bitmap is
// block edge k (bytes in edge order, read as little-endian 64-bit words).
// Few sources fire on a sparse graph spreading from a few seeds (WordNet
// nouns from the benchmark's eight seeds: 0.03-2 % of the nodes per
// iteration), so most groups of nodes receive nothing and skip their sums
// (pass 2 below).
inline bool any_fired(const uint8_t* fired, uint64_t s, uint64_t e) {
    if (s >= e) return false;
    uint64_t w = s >> 6;
    const uint64_t last = (e - 1) >> 6;
    uint64_t word;
    std::memcpy(&word, fired + 8 * w, 8);
    word &= ~uint64_t{0} << (s & 63);
    while (w < last) {
        if (word) return true;
        ++w;
        std::memcpy(&word, fired + 8 * w, 8);
    }
    const uint64_t hi = e & 63;
    if (hi) word &= (uint64_t{1} << hi) - 1;
    return word != 0;
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

// Nodes i..i+3 summed from their slices of the block buffer t (edges from
// b): 16 floats per node at most in one round, longer ones redone by
// long_slices; next[i..i+3] written, returned for the running maximum.
// Inlined by force: as a call it cost R-MAT as loaded ~8 %.
[[gnu::always_inline]] inline __m128 four_nodes(const uint32_t* offsets, uint64_t i, uint64_t b,
                                                const float* t, const float* cur, double decay,
                                                float* next) {
    const __m128i o = _mm_loadu_si128(reinterpret_cast<const __m128i*>(offsets + i));
    const __m128i o_next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(offsets + i + 1));
    const __m128i d = _mm_sub_epi32(o_next, o);
    alignas(16) uint32_t deg[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(deg), d);
    // Degrees are <= kBlock here, so a signed compare is exact.
    const int long_mask = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(d, _mm_set1_epi32(16))));
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
    return v;
}

// Rows this short are summed eight nodes at a time, straight from the block
// buffer. Most nodes of a sparse real graph have at most four in-edges
// (WordNet nouns: 89 %; 47 % have one), and summing each through slice16
// cost two masked loads and their masks per node whatever its degree. The
// sum is in float in edge order for equal degrees 1 and 3, pairwise for 2 and
// 4 and for mixed degrees: at most three roundings either way.
constexpr int kShort = 4;

// Eight nodes of one degree d <= kShort whose slices are s[0, 8d), node l's
// at s + l*d: loads and shuffles, no gather. The runs of equal degree that a
// degree-ordered store ([store] reorder = "degree") is made of take this path.
inline __m256 equal_degree_sums(const float* s, int d) {
    switch (d) {
        case 1:
            return _mm256_loadu_ps(s);
        case 2: {  // {n0 n0 n1 n1 n2 n2 n3 n3} {n4 ...}: pairs, then lanes in order
            const __m256 h = _mm256_hadd_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8));
            return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(h), 0xd8));
        }
        case 3: {
            // Element 3l + k of the 24 sits in lane (3l + k) mod 8 of vector
            // (3l + k) / 8; for each k the three vectors' lanes are disjoint,
            // so two blends and one permute gather the k-th edges of all eight.
            const __m256 x0 = _mm256_loadu_ps(s), x1 = _mm256_loadu_ps(s + 8),
                         x2 = _mm256_loadu_ps(s + 16);
            const __m256 k0 =
                _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(x0, x1, 0x92), x2, 0x24),
                                         _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5));
            const __m256 k1 =
                _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(x0, x1, 0x24), x2, 0x49),
                                         _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6));
            const __m256 k2 =
                _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(x0, x1, 0x49), x2, 0x92),
                                         _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7));
            return _mm256_add_ps(_mm256_add_ps(k0, k1), k2);
        }
        default: {  // 4: two rounds of pairs give {n0 n2 n4 n6 n1 n3 n5 n7}
            const __m256 h01 = _mm256_hadd_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8));
            const __m256 h23 = _mm256_hadd_ps(_mm256_loadu_ps(s + 16), _mm256_loadu_ps(s + 24));
            return _mm256_permutevar8x32_ps(_mm256_hadd_ps(h01, h23),
                                            _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        }
    }
}

// Eight nodes i..i+7 of mixed degrees <= kShort (slices at t + offsets[i+l]
// - b): one masked 4-float load per node, then two rounds of pairwise adds,
// which leave the sums in node order. A hardware gather per edge rank was
// measured slower on Zen 4 (its latency sat on the critical path).
inline __m256 mixed_degree_sums(const uint32_t* offsets, uint64_t i, uint64_t b, const float* t) {
    __m128 x[8];
    for (int l = 0; l < 8; ++l) {
        const uint32_t o = offsets[i + l];
        x[l] =
            _mm_maskload_ps(t + (o - b), _mm256_castsi256_si128(tail_mask(offsets[i + l + 1] - o)));
    }
    const __m256 y0 = _mm256_insertf128_ps(_mm256_castps128_ps256(x[0]), x[4], 1);
    const __m256 y1 = _mm256_insertf128_ps(_mm256_castps128_ps256(x[1]), x[5], 1);
    const __m256 y2 = _mm256_insertf128_ps(_mm256_castps128_ps256(x[2]), x[6], 1);
    const __m256 y3 = _mm256_insertf128_ps(_mm256_castps128_ps256(x[3]), x[7], 1);
    return _mm256_hadd_ps(_mm256_hadd_ps(y0, y1), _mm256_hadd_ps(y2, y3));
}

// cur + decay * sum, eight nodes, in double as the oracle.
inline __m256 add_decayed(__m256 sum, const float* cur, double decay) {
    const __m256d dec = _mm256_set1_pd(decay);
    const __m256 c = _mm256_loadu_ps(cur);
    const __m128 lo =
        _mm256_cvtpd_ps(_mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(sum)), dec,
                                        _mm256_cvtps_pd(_mm256_castps256_ps128(c))));
    const __m128 hi =
        _mm256_cvtpd_ps(_mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(sum, 1)), dec,
                                        _mm256_cvtps_pd(_mm256_extractf128_ps(c, 1))));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

// What one iteration saw: the largest next value (at least 0) and, in quiet
// mode, how many groups of eight nodes pass 2 summed and how many of them it
// skipped (0 and 0 in plain mode), which picks the next iteration's mode.
struct IterationResult {
    float max;
    uint64_t groups;
    uint64_t quiet_groups;
};

// One iteration cur -> next. With kQuiet, pass 1 also records which edges
// fired, and pass 2 skips the sums of each group of eight nodes none of
// whose in-edges fired: their sums are +0, exactly what the sums would add
// up, so both modes give the same bits. It pays where most groups receive
// nothing (WordNet nouns from eight seeds: 73-98 % of the groups in every
// iteration) and costs up to ~9 % where few do (R-MAT as loaded: under 1 %;
// the uniform 100000x8 graph).
template <bool kQuiet>
IterationResult iteration(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          uint64_t n_nodes, float threshold, double decay, const float* cur,
                          float* next) {
    const __m256 thr = _mm256_set1_ps(threshold);
    alignas(64) float t[kBlock];
    // Bit k: block edge k fired; whole 64-bit words, bits past the block zero.
    alignas(64) uint8_t fired[kBlock / 8];
    float mx = 0.0f;
    uint64_t groups = 0, quiet_groups = 0;
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
        // The block ends at the last node whose edges all fit (the bound
        // clamped: offsets are 32-bit, b + kBlock may not be).
        const uint64_t lim = b + kBlock < UINT32_MAX ? b + kBlock : UINT32_MAX;
        const uint64_t i1 =
            static_cast<uint64_t>(std::upper_bound(offsets + i + 2, offsets + n_nodes + 1,
                                                   static_cast<uint32_t>(lim)) -
                                  offsets) -
            1;
        const uint64_t e = offsets[i1];
        // Pass 1: contributions of edges [b, e) into t[0, e - b); with
        // kQuiet also which of them fired, bit k of fired for edge b + k
        // (whole 64-bit words, bits past e - b zero).
        uint64_t j = b;
        for (; j + 8 <= e; j += 8) {
            if constexpr (kQuiet) {
                _mm256_store_ps(t + (j - b), contrib_fired(sources + j, weights + j, cur, thr,
                                                           fired + (j - b) / 8));
            } else {
                _mm256_store_ps(t + (j - b), contrib(sources + j, weights + j, cur, thr));
            }
        }
        if (j < e) {
            _mm256_store_ps(t + (j - b),
                            contrib_masked(sources + j, weights + j, cur, thr, tail_mask(e - j),
                                           kQuiet ? fired + (j - b) / 8 : nullptr));
            j += 8;
        }
        if constexpr (kQuiet) {
            for (uint64_t k = (j - b) / 8; k % 8; ++k) fired[k] = 0;
            groups += (i1 - i) / 8;
        }
        // Pass 2: per node sums, eight nodes at a time where all eight have
        // at most kShort in-edges, else four at a time.
        __m128 mx4 = _mm_setzero_ps();
        __m256 mx8 = _mm256_setzero_ps();
        for (; i + 8 <= i1; i += 8) {
            if (kQuiet && !any_fired(fired, offsets[i] - b, offsets[i + 8] - b)) {
                // No in-edge of the eight fired: each sum is +0, exactly what
                // the paths below would add up.
                const __m256 v = add_decayed(_mm256_setzero_ps(), cur + i, decay);
                _mm256_storeu_ps(next + i, v);
                mx8 = _mm256_max_ps(v, mx8);
                ++quiet_groups;
                continue;
            }
            const __m256i o = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets + i));
            const __m256i d = _mm256_sub_epi32(
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets + i + 1)), o);
            if (_mm256_movemask_ps(
                    _mm256_castsi256_ps(_mm256_cmpgt_epi32(d, _mm256_set1_epi32(kShort))))) {
                mx4 = _mm_max_ps(four_nodes(offsets, i, b, t, cur, decay, next), mx4);
                mx4 = _mm_max_ps(four_nodes(offsets, i + 4, b, t, cur, decay, next), mx4);
                continue;
            }
            const int d0 = _mm256_cvtsi256_si32(d);
            const bool equal = _mm256_movemask_ps(_mm256_castsi256_ps(
                                   _mm256_cmpeq_epi32(d, _mm256_set1_epi32(d0)))) == 0xff;
            const __m256 sum = !equal    ? mixed_degree_sums(offsets, i, b, t)
                               : d0 == 0 ? _mm256_setzero_ps()
                                         : equal_degree_sums(t + (offsets[i] - b), d0);
            const __m256 v = add_decayed(sum, cur + i, decay);
            _mm256_storeu_ps(next + i, v);
            mx8 = _mm256_max_ps(v, mx8);  // v first: a NaN v leaves the max alone
        }
        for (; i + 4 <= i1; i += 4) {
            mx4 = _mm_max_ps(four_nodes(offsets, i, b, t, cur, decay, next), mx4);
        }
        mx4 =
            _mm_max_ps(mx4, _mm_max_ps(_mm256_castps256_ps128(mx8), _mm256_extractf128_ps(mx8, 1)));
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
    return {mx, groups, quiet_groups};
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
    if (spreading_detail::check_offsets8(offsets, n_nodes) != ENGRAM_OK)
        return ENGRAM_E_OUT_OF_RANGE;
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
    const float threshold = params->threshold;
    // Quiet mode (see iteration) while it skipped at least half of the groups
    // in the previous iteration; the first iteration is always quiet (only
    // the seeds fire). Spreading grows the firing set, so once most groups
    // receive something the call stays in the plain mode. (A rule on the
    // share of edges that fired kept quiet mode too long on a uniform graph
    // of eight in-edges per node: 5 % of edges firing already leaves few of
    // its 64-edge groups quiet, and it ran 10-18 % slower.)
    bool quiet = true;
    for (uint32_t it = 0; it < params->iterations; ++it) {
        float mx;
        if (!gatherable) {
            mx = spread_iteration_scalar(offsets, sources, weights, n_nodes, threshold, decay, cur,
                                         next);
        } else if (quiet) {
            const spreading_detail::IterationResult r = spreading_detail::iteration<true>(
                offsets, sources, weights, n_nodes, threshold, decay, cur, next);
            mx = r.max;
            quiet = r.groups > 0 && r.quiet_groups * 2 >= r.groups;
        } else {
            mx = spreading_detail::iteration<false>(offsets, sources, weights, n_nodes, threshold,
                                                    decay, cur, next)
                     .max;
        }
        if (mx > 1.0f) spreading_detail::normalise(next, n_nodes, mx);
        float* t = cur;
        cur = next;
        next = t;
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

// ABI 1.2 spread_push: the shared driver (plugins/common/spreading_push.h)
// with this kernel's pull iterations and vector versions of a push
// iteration's two sweeps over the nodes.
namespace spreading_detail {

struct PushSweeps : ScalarPushSweeps {
    static engram_status check_offsets(const uint32_t* offsets, uint64_t n) {
        return check_offsets8(offsets, n);
    }
    static uint32_t max_index(const uint32_t* v, uint64_t m) { return max_source(v, m); }

    // The nodes of eight values v at i that fire into f: one compare, then
    // the set bits (few of them where pushing pays).
    static void add_firing(__m256 v, __m256 thr, uint64_t i, Firing& f) {
        unsigned mask =
            static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, thr, _CMP_GE_OQ)));
        while (mask) {
            f.add(i + static_cast<unsigned>(__builtin_ctz(mask)));
            mask &= mask - 1;
        }
    }
    static void collect(const float* cur, uint64_t n, Firing& f) {
        f.reset();
        const __m256 thr = _mm256_set1_ps(f.threshold);
        uint64_t i = 0;
        for (; i + 8 <= n; i += 8) add_firing(_mm256_loadu_ps(cur + i), thr, i, f);
        collect_scalar(cur, i, n, f);
    }
    // update_scalar (spreading_push.h), eight nodes at a time: touched groups
    // in double from the accumulator, the others cur + z in float.
    static float update(float* cur, const double* acc, uint8_t* touched, uint64_t n, double decay) {
        const __m256d dec = _mm256_set1_pd(decay);
        const __m256 z = _mm256_set1_ps(static_cast<float>(decay * 0.0));
        __m256 mx8 = _mm256_setzero_ps();
        uint64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 v;
            const __m256 c = _mm256_loadu_ps(cur + i);
            if (touched[i >> 3]) {
                touched[i >> 3] = 0;
                const __m128 lo = _mm256_cvtpd_ps(_mm256_fmadd_pd(
                    _mm256_loadu_pd(acc + i), dec, _mm256_cvtps_pd(_mm256_castps256_ps128(c))));
                const __m128 hi =
                    _mm256_cvtpd_ps(_mm256_fmadd_pd(_mm256_loadu_pd(acc + i + 4), dec,
                                                    _mm256_cvtps_pd(_mm256_extractf128_ps(c, 1))));
                v = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
            } else {
                v = _mm256_add_ps(c, z);
            }
            _mm256_storeu_ps(cur + i, v);
            mx8 = _mm256_max_ps(v, mx8);  // v first: a NaN v leaves the max alone
        }
        __m128 mx4 = _mm_max_ps(_mm256_castps256_ps128(mx8), _mm256_extractf128_ps(mx8, 1));
        mx4 = _mm_max_ps(mx4, _mm_movehl_ps(mx4, mx4));
        mx4 = _mm_max_ss(mx4, _mm_movehdup_ps(mx4));
        float mx = _mm_cvtss_f32(mx4);
        if (i < n) {  // the last, partial group (i is a multiple of 8)
            const float t = update_scalar(cur, acc, touched, i, n, decay);
            mx = t > mx ? t : mx;
        }
        return mx;
    }
    static void normalise(float* v, uint64_t n, float mx) { spreading_detail::normalise(v, n, mx); }
};

}  // namespace spreading_detail

inline engram_status spread_push_impl(const uint32_t* offsets, const uint32_t* sources,
                                      const float* weights, const engram_out_edges* out,
                                      uint64_t n_nodes, const engram_spread_params* params,
                                      float* activation, void* scratch, uint64_t scratch_capacity) {
    const bool gatherable = n_nodes <= 0x7fffffffu;
    const double decay = params ? params->decay : 0.0;
    const float threshold = params ? params->threshold : 0.0f;
    bool quiet = true;  // as in spread_impl, over the pull iterations
    return spread_push_driver<spreading_detail::PushSweeps>(
        offsets, out, n_nodes, params, activation, scratch, scratch_capacity,
        [&]() -> engram_status {
            if (spreading_detail::PushSweeps::check_offsets(offsets, n_nodes) != ENGRAM_OK)
                return ENGRAM_E_OUT_OF_RANGE;
            const uint64_t m = offsets[n_nodes];
            if (m && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
            if (m && spreading_detail::max_source(sources, m) >= n_nodes)
                return ENGRAM_E_OUT_OF_RANGE;
            return ENGRAM_OK;
        },
        [&](const float* cur, float* next) -> float {
            if (!gatherable)
                return spread_iteration_scalar(offsets, sources, weights, n_nodes, threshold, decay,
                                               cur, next);
            if (quiet) {
                const spreading_detail::IterationResult r = spreading_detail::iteration<true>(
                    offsets, sources, weights, n_nodes, threshold, decay, cur, next);
                quiet = r.groups > 0 && r.quiet_groups * 2 >= r.groups;
                return r.max;
            }
            return spreading_detail::iteration<false>(offsets, sources, weights, n_nodes, threshold,
                                                      decay, cur, next)
                .max;
        });
}

}  // namespace engram::plugin::avx2
