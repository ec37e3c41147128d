// Memory decay, AVX-512: out[i] = strength[i] * exp(-max(age[i], 0) / stability[i]).
//
// Non-finite policy (same in every backend and in the oracle): the formula is
// evaluated as written and any result that is not finite becomes 0. So a NaN
// strength, age or stability gives 0, as do an infinite strength and 0/0; an
// age of +inf or a stability of 0 gives (strength * 0 =) 0; a negative age
// counts as 0; a negative strength gives a result in [strength, 0].
//
// Accuracy: age/stability is formed as a double-float (quotient plus its FMA
// residual) so the rounding of the division is not amplified by exp for large
// ratios. The exp's power of two is applied to strength with vscalefps (exact
// unless the result is subnormal) and its mantissa part last, so the product
// rounds once for every normal result and a huge strength cannot overflow
// early. Results below FLT_MIN underflow gradually instead of being flushed.
#include "../common/decay_scalar.h"
#include "../common/exp_constants.h"
#include "exp_avx512.h"
#include "kernels_avx512.h"
#include "simd_avx512.h"

namespace engram::plugin::avx512 {
namespace {

// sb: the stability; inv_neg: -1/stability when kDivide is false (a scalar
// stability whose reciprocal is a normal float: the quotient is a multiply).
template <bool kDivide>
inline __m512 decay16(__m512 st, __m512 ag, __m512 sb, __m512 inv_neg) {
    // max() returns its second operand for NaN: a NaN age stays NaN.
    ag = _mm512_max_ps(_mm512_setzero_ps(), ag);
    __m512 x, lo;
    if constexpr (kDivide) {
        const __m512 q = _mm512_div_ps(ag, sb);
        x = _mm512_sub_ps(_mm512_setzero_ps(), q);
        // The exact quotient is q + (ag - q*sb)/sb; lo is the negated residual
        // term, because the exp argument is -(quotient).
        lo = _mm512_mul_ps(_mm512_fmsub_ps(q, sb, ag), _mm512_rcp14_ps(sb));
    } else {
        x = _mm512_mul_ps(ag, inv_neg);
        lo = _mm512_mul_ps(_mm512_fmadd_ps(x, sb, ag), inv_neg);
    }
    // 0 * inf (stability inf, or subnormal with age 0) makes lo NaN: drop it.
    lo = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(lo, lo, _CMP_ORD_Q), lo);
    x = _mm512_max_ps(_mm512_set1_ps(expc::kDecayMinArg), x);
    x = _mm512_min_ps(_mm512_set1_ps(expc::kDecayMaxArgScalef), x);
    const ExpParts e = exp_parts<true>(x, lo);
    const __m512 out = _mm512_mul_ps(_mm512_scalef_ps(st, e.nf), e.p);
    // Non-finite results (NaN inputs, inf strength, 0/0) become 0.
    // fpclass 0x99: QNaN | +inf | -inf | SNaN.
    return _mm512_maskz_mov_ps(static_cast<__mmask16>(~_mm512_fpclass_ps_mask(out, 0x99)), out);
}

// kArray: stability is an array (else the scalar); kDivide: see decay16.
template <bool kArray, bool kDivide>
void run(const float* strength, const float* age, const float* stability, float scalar, uint64_t n,
         float* out) {
    const __m512 sbs = _mm512_set1_ps(scalar);
    const __m512 inv_neg = _mm512_set1_ps(-1.0f / scalar);
    uint64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 sb = kArray ? _mm512_loadu_ps(stability + i) : sbs;
        _mm512_storeu_ps(out + i, decay16<kDivide>(_mm512_loadu_ps(strength + i),
                                                   _mm512_loadu_ps(age + i), sb, inv_neg));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        // Masked-off lanes compute 0/0 and are not stored.
        const __m512 sb = kArray ? _mm512_maskz_loadu_ps(m, stability + i) : sbs;
        const __m512 r = decay16<kDivide>(_mm512_maskz_loadu_ps(m, strength + i),
                                          _mm512_maskz_loadu_ps(m, age + i), sb, inv_neg);
        _mm512_mask_storeu_ps(out + i, m, r);
    }
}

struct Isa {
    template <bool kArray, bool kDivide>
    static void run(const float* strength, const float* age, const float* stability, float scalar,
                    uint64_t n, float* out) {
        avx512::run<kArray, kDivide>(strength, age, stability, scalar, n, out);
    }
};

}  // namespace

engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void*, uint64_t) {
    return decay_kernel<Isa>(strength, age_seconds, stability, stability_scalar, n, out);
}

}  // namespace engram::plugin::avx512
