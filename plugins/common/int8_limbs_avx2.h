// ABI 1.1 int8 similarity on AVX2 integer multiplies (vpmaddwd), for the avx2
// backend and the avx512 build without VNNI. The query is split into two
// int16 limbs (query_limbs.h; the residual of two is below 2^-31 of its
// largest element, so two always suffice); the codes are widened once to
// int16 (vpmovsxbw) and multiplied against both limbs, 16 codes per
// vpmaddwd, in exact int32 sums: 5 vector operations per 16 codes against 6
// for the float walk (widen to int32, convert, FMA per 8 codes), which was
// bound by its instructions, not by memory. Side by side on a Zen 4 EPYC
// (family 25 model 17) at 768-d: 1.16x faster from cache (10,000 rows),
// 1.08-1.09x from memory (100,000 rows); docs/benchmarks/compressed.md.
//
// Overflow: a code times a limb is at most 128 * 32767; a lane of the int32
// accumulator adds dim/8 of them, at most 2^31 - 65536 at kLimbMaxDim = 4096;
// the eight lanes are summed in int64.
#pragma once

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "prefetch_far.h"
#include "query_limbs.h"
#include "similarity_slow.h"

namespace engram::plugin {

using Int16Limbs = QueryLimbs<int16_t, 2>;

inline int64_t hsum_epi32_wide(__m256i v) {
    const __m256i w = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                       _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    return _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
}

// d0, d1 = sum(code * limb_j); with kCC also cc = sum(code^2).
template <bool kCC>
[[gnu::always_inline]] inline void int16_limb_row(const Int16Limbs& L, const int8_t* c,
                                                  uint64_t dim, int64_t& d0, int64_t& d1,
                                                  int64_t& cc) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, acc = a0;
    auto step = [&](__m128i bytes, uint64_t k) {
        const __m256i x = _mm256_cvtepi8_epi16(bytes);
        const auto limb = [&](int j) {
            return _mm256_load_si256(reinterpret_cast<const __m256i*>(L.limb[j] + k));
        };
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, limb(0)));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x, limb(1)));
        if constexpr (kCC) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, x));
    };
    const auto load = [&](uint64_t at) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + at));
    };
    // 64 codes (one cache line) per iteration: at 16 the loop's own
    // bookkeeping was half the instructions and the kernel 1.1x slower. Two
    // accumulator sets (even and odd lines, as the VNNI kernel has) measured
    // no faster from memory and 1.06x slower from cache.
    uint64_t k = 0;
    for (; k + 64 <= dim; k += 64) {
        prefetch_far(c, k);
        step(load(k), k);
        step(load(k + 16), k + 16);
        step(load(k + 32), k + 32);
        step(load(k + 48), k + 48);
    }
    for (; k + 16 <= dim; k += 16) step(load(k), k);
    if (k < dim) {
        alignas(16) int8_t tail[16] = {};
        std::memcpy(tail, c + k, dim - k);
        step(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)), k);
    }
    d0 = hsum_epi32_wide(a0);
    d1 = hsum_epi32_wide(a1);
    if constexpr (kCC) cc = hsum_epi32_wide(acc);
}

template <bool kCC>
void int16_limb_rows(const Int16Limbs& L, double qn, const int8_t* candidates, const float* scales,
                     const float* norms, uint64_t n, uint64_t dim, float* scores) {
    for (uint64_t i = 0; i < n; ++i) {
        int64_t d0 = 0, d1 = 0, cc = 0;
        int16_limb_row<kCC>(L, candidates + i * dim, dim, d0, d1, cc);
        const double dot = L.scale[1] * double(d1) + L.scale[0] * double(d0);
        const double s = scales[i];
        const double cn = kCC ? std::sqrt(double(cc)) * s : double(norms[i]);
        scores[i] = cosine_from_double(dot * s, qn, cn);
    }
}

// The whole int8 entry on this path; false (nothing written) when the float
// walk must serve the call: a bad argument (it returns the error), a query
// outside the fast range, dim above kLimbMaxDim.
inline bool similarity_int8_int16_limbs(const float* query, const int8_t* candidates,
                                        const float* scales, const float* norms, uint64_t n,
                                        uint64_t dim, float* scores) {
    double qn = 0.0;
    if (!limb_path_applies(query, candidates, scales, n, dim, scores, qn)) return false;
    Int16Limbs L;
    if (!make_limbs<2, 16>(query, dim, qn, L)) return false;
    if (norms)
        int16_limb_rows<false>(L, qn, candidates, scales, norms, n, dim, scores);
    else
        int16_limb_rows<true>(L, qn, candidates, scales, norms, n, dim, scores);
    return true;
}

}  // namespace engram::plugin
