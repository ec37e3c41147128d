// Vectorised expf for AVX-512F, header-only so tests/simd can sweep it.
//
// Same reduction and polynomial as exp_avx2.h (common/exp_constants.h), so
// the two agree on p bit for bit; the scaling by 2^n is one vscalefps, which
// rounds once and underflows gradually to subnormals, so subnormal results
// are correctly rounded from p. Accuracy: <= 2 ulp for every float input
// (max printed by tests/simd), counted on float's grid: 2^(e-23) in the
// normal range, the fixed subnormal spacing 2^-149 below FLT_MIN.
// x < -105 gives +0, x > 89 gives +inf, NaN gives NaN.
#pragma once

#include "../common/exp_constants.h"
#include "immintrin_avx512.h"

namespace engram::plugin::avx512 {

// exp(x + xlo) = p * 2^nf, nf an integer-valued float, p in [~0.7, ~1.42].
// x must be clamped to |x| <= 350; xlo (only with kLo) is a small correction.
struct ExpParts {
    __m512 p;
    __m512 nf;
};

template <bool kLo>
inline ExpParts exp_parts(__m512 x, __m512 xlo) {
    using namespace expc;
    const __m512 magic = _mm512_set1_ps(kRoundMagic);
    const __m512 nf = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), magic), magic);
    __m512 r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(kLn2Hi), x);
    r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(kLn2Lo), r);
    if constexpr (kLo) r = _mm512_add_ps(r, xlo);
    __m512 y = _mm512_set1_ps(kP0);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kP1));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kP2));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kP3));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kP4));
    const __m512 r2 = _mm512_mul_ps(r, r);
    const __m512 p = _mm512_add_ps(_mm512_fmadd_ps(y, r2, r), _mm512_set1_ps(1.0f));
    return {p, nf};
}

inline __m512 exp_ps(__m512 x) {
    // max/min return their second operand when one is NaN: keep x second.
    x = _mm512_max_ps(_mm512_set1_ps(expc::kMinArg), x);
    x = _mm512_min_ps(_mm512_set1_ps(expc::kMaxArg), x);
    const ExpParts e = exp_parts<false>(x, _mm512_setzero_ps());
    return _mm512_scalef_ps(e.p, e.nf);
}

}  // namespace engram::plugin::avx512
