// Memory decay, AVX2 + FMA: out[i] = strength[i] * exp(-max(age[i], 0) / stability[i]).
//
// Non-finite policy (same in every backend and in the oracle): the formula is
// evaluated as written and any result that is not finite becomes 0. So a NaN
// strength, age or stability gives 0, as do an infinite strength and 0/0; an
// age of +inf or a stability of 0 gives (strength * 0 =) 0; a negative age
// counts as 0; a negative strength gives a result in [strength, 0].
//
// Accuracy: age/stability is formed as a double-float (quotient plus its FMA
// residual) so the rounding of the division is not amplified by exp for large
// ratios. The exp's power of two is applied to strength first (exact unless
// subnormal) and its mantissa part last, so the product rounds once for every
// normal result and cannot overflow early for a huge strength. When exp
// itself is below FLT_MIN (ratio > ~87) the result is flushed to 0: the
// contract allows an absolute error of strength * FLT_MIN there.
#include "../common/decay_scalar.h"
#include "../common/exp_constants.h"
#include "exp_avx2.h"
#include "kernels_avx2.h"
#include "simd_avx2.h"

namespace engram::plugin::avx2 {
namespace {

// sb: the stability; inv_neg: -1/stability when kDivide is false (a scalar
// stability whose reciprocal is a normal float: the quotient is a multiply).
template <bool kDivide>
inline __m256 decay8(__m256 st, __m256 ag, __m256 sb, __m256 inv_neg) {
    // max() returns its second operand for NaN: a NaN age stays NaN.
    ag = _mm256_max_ps(_mm256_setzero_ps(), ag);
    __m256 x, lo;
    if constexpr (kDivide) {
        const __m256 q = _mm256_div_ps(ag, sb);
        x = _mm256_xor_ps(q, _mm256_set1_ps(-0.0f));
        // The exact quotient is q + (ag - q*sb)/sb; lo is the negated residual
        // term, because the exp argument is -(quotient).
        lo = _mm256_mul_ps(_mm256_fmsub_ps(q, sb, ag), _mm256_rcp_ps(sb));
    } else {
        x = _mm256_mul_ps(ag, inv_neg);
        lo = _mm256_mul_ps(_mm256_fmadd_ps(x, sb, ag), inv_neg);
    }
    // 0 * inf (stability inf, or subnormal with age 0) makes lo NaN: drop it.
    lo = _mm256_and_ps(lo, _mm256_cmp_ps(lo, lo, _CMP_ORD_Q));
    x = _mm256_max_ps(_mm256_set1_ps(expc::kDecayMinArg), x);
    x = _mm256_min_ps(_mm256_set1_ps(expc::kDecayMaxArg), x);
    const ExpParts e = exp_parts<true>(x, lo);
    // 2^n, or +0 for n < -126 (pow2i(-127) is the bit pattern of +0).
    const __m256 scale = pow2i(_mm256_max_epi32(e.n, _mm256_set1_epi32(-127)));
    const __m256 out = _mm256_mul_ps(_mm256_mul_ps(st, scale), e.p);
    // Non-finite results (NaN inputs, inf strength, 0/0) become 0.
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 finite =
        _mm256_cmp_ps(_mm256_and_ps(out, absmask), _mm256_set1_ps(__builtin_inff()), _CMP_LT_OQ);
    return _mm256_and_ps(out, finite);
}

// kArray: stability is an array (else the scalar); kDivide: see decay8.
template <bool kArray, bool kDivide>
void run(const float* strength, const float* age, const float* stability, float scalar, uint64_t n,
         float* out) {
    const __m256 sbs = _mm256_set1_ps(scalar);
    const __m256 inv_neg = _mm256_set1_ps(-1.0f / scalar);
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 sb = kArray ? _mm256_loadu_ps(stability + i) : sbs;
        _mm256_storeu_ps(out + i, decay8<kDivide>(_mm256_loadu_ps(strength + i),
                                                  _mm256_loadu_ps(age + i), sb, inv_neg));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        // Masked-off lanes compute 0/0 and are not stored.
        const __m256 sb = kArray ? _mm256_maskload_ps(stability + i, m) : sbs;
        const __m256 r = decay8<kDivide>(_mm256_maskload_ps(strength + i, m),
                                         _mm256_maskload_ps(age + i, m), sb, inv_neg);
        _mm256_maskstore_ps(out + i, m, r);
    }
}

struct Isa {
    template <bool kArray, bool kDivide>
    static void run(const float* strength, const float* age, const float* stability, float scalar,
                    uint64_t n, float* out) {
        avx2::run<kArray, kDivide>(strength, age, stability, scalar, n, out);
    }
};

}  // namespace

engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void*, uint64_t) {
    return decay_kernel<Isa>(strength, age_seconds, stability, stability_scalar, n, out);
}

}  // namespace engram::plugin::avx2
