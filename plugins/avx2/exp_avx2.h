// Vectorised expf for AVX2 + FMA, header-only so tests/simd can sweep it.
//
// Accuracy: <= 2 ulp (measured max printed by tests/simd) for every float
// input, counted against the correctly rounded result on float's grid: 2^(e-23)
// in the normal range and the fixed subnormal spacing 2^-149 below FLT_MIN.
// Subnormal results are produced (gradual underflow, not flushed): the final
// scaling by 2^n is split into two exact multiplies and one rounding, so a
// subnormal result is off by at most one subnormal step.
// x < -105 gives +0, x > 89 gives +inf, NaN gives NaN.
#pragma once

#include <immintrin.h>

#include "../common/exp_constants.h"

namespace engram::plugin::avx2 {

// exp(x + xlo) = p * 2^n with p in [~0.7, ~1.42]. x must be clamped by the
// caller to |x| <= 350; xlo (used only with kLo) is a small correction
// (|xlo| <= ~1e-5) that lets callers pass a double-float argument such as a
// corrected quotient.
struct ExpParts {
    __m256 p;
    __m256i n;
};

template <bool kLo>
inline ExpParts exp_parts(__m256 x, __m256 xlo) {
    using namespace expc;
    const __m256 magic = _mm256_set1_ps(kRoundMagic);
    const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), magic);
    const __m256 nf = _mm256_sub_ps(t, magic);
    const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(kRoundMagicBits));
    __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Hi), x);
    r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Lo), r);
    if constexpr (kLo) r = _mm256_add_ps(r, xlo);
    __m256 y = _mm256_set1_ps(kP0);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(kP1));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(kP2));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(kP3));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(kP4));
    const __m256 r2 = _mm256_mul_ps(r, r);
    // 1 + (r + r^2*P): the small part is summed first so only one rounding
    // happens at the magnitude of the result.
    const __m256 p = _mm256_add_ps(_mm256_fmadd_ps(y, r2, r), _mm256_set1_ps(1.0f));
    return {p, n};
}

// 2^k as a float, for k in [-126, 127].
inline __m256 pow2i(__m256i k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

// y * 2^k for k in [-252, 254], y normal: the first multiply (by 2^(k>>1))
// stays in the normal range whenever the result is not zero, so it is exact
// and only the second multiply rounds (gradual underflow, overflow to inf).
inline __m256 ldexp_split(__m256 y, __m256i k) {
    const __m256i k1 = _mm256_srai_epi32(k, 1);
    const __m256i k2 = _mm256_sub_epi32(k, k1);
    return _mm256_mul_ps(_mm256_mul_ps(y, pow2i(k1)), pow2i(k2));
}

inline __m256 exp_ps(__m256 x) {
    // max/min return their second operand when one is NaN: keep x second.
    x = _mm256_max_ps(_mm256_set1_ps(expc::kMinArg), x);
    x = _mm256_min_ps(_mm256_set1_ps(expc::kMaxArg), x);
    const ExpParts e = exp_parts<false>(x, _mm256_setzero_ps());
    return ldexp_split(e.p, e.n);
}

}  // namespace engram::plugin::avx2
