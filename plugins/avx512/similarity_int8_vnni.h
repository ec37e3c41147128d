// ABI 1.1 int8 similarity with AVX512_VNNI (vpdpbusd): the avx512_vnni
// build of this backend. The float query is split into three or four int8
// limbs (common/query_limbs.h: residual below 1e-6 of |q|, so the contract's
// 1e-5 tolerance holds although vpdpbusd only multiplies bytes); per 64
// codes the kernel does one xor and one vpdpbusd per limb, all in exact
// int32 sums, and combines the limbs once per row in double.
//
// vpdpbusd multiplies unsigned by signed bytes: the stored codes (signed,
// -128..127) are flipped to u = code + 128 (xor 0x80) and the limbs are the
// signed operand; sum(u*l) - 128*sum(l) = sum(code*l), the correction being a
// per-query constant. With NULL norms the row's own sum of squares comes the
// same way: sum(u*code) - 128*sum(code), sum(code) = sum(u*ones) - 128*dim
// (ones: 1 on the valid codes, 0 in the padding, where masked loads read 0,
// i.e. u = 128).
//
// Overflow: a lane adds dim/16 products of at most 255*128, so int32 holds
// any dim up to kLimbMaxDim = 4096 (and the whole row's sum, 4096 * 32640,
// too). Larger dims, and a query the limbs cannot represent, keep the float
// walk (the caller's): the choice depends only on the query and dim, never
// on the rows or the range, so split ranges stay bit-identical.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../common/prefetch_far.h"
#include "../common/query_limbs.h"
#include "../common/similarity_slow.h"
#include "immintrin_avx512.h"

namespace engram::plugin::avx512 {

// The query's int8 limbs plus the ones row of the NULL-norms sums.
struct VnniQuery {
    QueryLimbs<int8_t, 4> L;
    alignas(64) int8_t ones[kLimbMaxDim];
};

// Sum of the 16 int32 lanes (by hand: GCC 12's _mm512_reduce_add_epi32
// trips -Wmaybe-uninitialized inside its own header, bug 105593).
inline int64_t hsum_epi32(__m512i v) {
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
    return _mm_cvtsi128_si32(x);
}

// Integer parts of one row: d[j] = sum(u * limb_j) and, with kCC,
// sq = sum(u * code), su = sum(u * ones) (u = code + 128).
template <int kLimbs, bool kCC>
[[gnu::always_inline]] inline void vnni_row(const VnniQuery& Q, const int8_t* c, uint64_t dim,
                                            int64_t d[kLimbs], int64_t& sq, int64_t& su) {
    static_assert(kLimbs == 3 || kLimbs == 4);
    // Named accumulators, not an array (GCC kept an array on the stack), and
    // two sets, even and odd cache lines: side by side at 100,000 x 768 from
    // memory 3.61 against 4.06 ms (median of 8) for one set; the same from
    // cache.
    struct Acc {
        __m512i a0, a1, a2, a3, sq, su;
    };
    const __m512i z = _mm512_setzero_si512();
    Acc e{z, z, z, z, z, z}, o = e;
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    auto step = [&](Acc& a, __m512i x, uint64_t k) {
        const __m512i u = _mm512_xor_si512(x, flip);
        a.a0 = _mm512_dpbusd_epi32(a.a0, u, _mm512_load_si512(Q.L.limb[0] + k));
        a.a1 = _mm512_dpbusd_epi32(a.a1, u, _mm512_load_si512(Q.L.limb[1] + k));
        a.a2 = _mm512_dpbusd_epi32(a.a2, u, _mm512_load_si512(Q.L.limb[2] + k));
        if constexpr (kLimbs == 4)
            a.a3 = _mm512_dpbusd_epi32(a.a3, u, _mm512_load_si512(Q.L.limb[3] + k));
        if constexpr (kCC) {
            a.sq = _mm512_dpbusd_epi32(a.sq, u, x);
            a.su = _mm512_dpbusd_epi32(a.su, u, _mm512_load_si512(Q.ones + k));
        }
    };
    uint64_t k = 0;
    for (; k + 128 <= dim; k += 128) {
        prefetch_far(c, k);
        prefetch_far(c, k + 64);
        step(e, _mm512_loadu_si512(c + k), k);
        step(o, _mm512_loadu_si512(c + k + 64), k + 64);
    }
    if (k + 64 <= dim) {
        prefetch_far(c, k);
        step(e, _mm512_loadu_si512(c + k), k);
        k += 64;
    }
    if (k < dim) {
        const __mmask64 m = (1ULL << (dim - k)) - 1;  // dim - k < 64
        step(o, _mm512_maskz_loadu_epi8(m, c + k), k);
    }
    // Sums of both sets stay far inside int32 (see the top).
    d[0] = hsum_epi32(_mm512_add_epi32(e.a0, o.a0));
    d[1] = hsum_epi32(_mm512_add_epi32(e.a1, o.a1));
    d[2] = hsum_epi32(_mm512_add_epi32(e.a2, o.a2));
    if constexpr (kLimbs == 4) d[3] = hsum_epi32(_mm512_add_epi32(e.a3, o.a3));
    if constexpr (kCC) {
        sq = hsum_epi32(_mm512_add_epi32(e.sq, o.sq));
        su = hsum_epi32(_mm512_add_epi32(e.su, o.su));
    }
}

// Scores rows [0, n); the caller has checked the arguments and the query
// (finite, q_fast) and built the limbs.
template <int kLimbs, bool kCC>
void vnni_rows(const VnniQuery& Q, double qn, const int8_t* candidates, const float* scales,
               const float* norms, uint64_t n, uint64_t dim, float* scores) {
    for (uint64_t i = 0; i < n; ++i) {
        const int8_t* c = candidates + i * dim;
        int64_t d[kLimbs];
        int64_t sq = 0, su = 0;
        vnni_row<kLimbs, kCC>(Q, c, dim, d, sq, su);
        double dot = 0.0;
        for (int j = kLimbs - 1; j >= 0; --j) dot += Q.L.scale[j] * double(d[j] - 128 * Q.L.sum[j]);
        const double s = scales[i];
        double cn;
        if constexpr (kCC) {
            // sum(code^2) = sum(u*code) - 128 * sum(code), sum(code) = su - 128*dim.
            const int64_t sum_code = su - 128 * static_cast<int64_t>(dim);
            cn = std::sqrt(double(sq - 128 * sum_code)) * s;
        } else {
            cn = norms[i];
        }
        scores[i] = cosine_from_double(dot * s, qn, cn);
    }
}

// The whole int8 entry on this path; false (nothing written) when the
// arguments, the query or dim are for the float walk to handle: a bad
// argument (it returns the error), a query outside the fast range, dim above
// kLimbMaxDim, limbs that miss kLimbMaxResidual.
inline bool similarity_int8_vnni(const float* query, const int8_t* candidates, const float* scales,
                                 const float* norms, uint64_t n, uint64_t dim, float* scores) {
    double qn = 0.0;
    if (!limb_path_applies(query, candidates, scales, n, dim, scores, qn)) return false;
    VnniQuery Q;
    if (!make_limbs<3, 64>(query, dim, qn, Q.L)) return false;
    std::memset(Q.ones, 1, dim);
    std::memset(Q.ones + dim, 0, Q.L.padded - dim);
    if (Q.L.count == 3) {
        if (norms)
            vnni_rows<3, false>(Q, qn, candidates, scales, norms, n, dim, scores);
        else
            vnni_rows<3, true>(Q, qn, candidates, scales, norms, n, dim, scores);
    } else {
        if (norms)
            vnni_rows<4, false>(Q, qn, candidates, scales, norms, n, dim, scores);
        else
            vnni_rows<4, true>(Q, qn, candidates, scales, norms, n, dim, scores);
    }
    return true;
}

}  // namespace engram::plugin::avx512
