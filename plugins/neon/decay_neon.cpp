// Memory decay, NEON: out[i] = strength[i] * exp(-max(age[i], 0) / stability[i]).
//
// Non-finite policy (same in every backend and in the oracle): the formula is
// evaluated as written and any result that is not finite becomes 0. So a NaN
// strength, age or stability gives 0, as do an infinite strength and 0/0; an
// age of +inf or a stability of 0 gives (strength * 0 =) 0; a negative age
// counts as 0; a negative strength gives a result in [strength, 0].
//
// Accuracy: as in the avx2 backend. age/stability is formed as a double-float
// (quotient plus its FMA residual); the exp's power of two is applied to
// strength first (exact unless subnormal) and its mantissa part last; when
// exp itself is below FLT_MIN (ratio > ~87) the result is flushed to 0, which
// the contract allows (absolute error <= strength * FLT_MIN).
#include <cstring>

#include "../common/decay_scalar.h"
#include "../common/exp_constants.h"
#include "exp_neon.h"
#include "kernels_neon.h"

namespace engram::plugin::neon {
namespace {

template <bool kDivide>
inline float32x4_t decay4(float32x4_t st, float32x4_t ag, float32x4_t sb, float32x4_t inv_neg) {
    // vmaxq propagates NaN: a NaN age stays NaN; a negative age becomes 0.
    ag = vmaxq_f32(vdupq_n_f32(0.0f), ag);
    float32x4_t x, lo;
    if constexpr (kDivide) {
        const float32x4_t q = vdivq_f32(ag, sb);
        x = vnegq_f32(q);
        // Exact quotient q + (ag - q*sb)/sb; lo is that residual term negated.
        float32x4_t rcp = vrecpeq_f32(sb);
        rcp = vmulq_f32(rcp, vrecpsq_f32(sb, rcp));
        lo = vmulq_f32(vnegq_f32(vfmsq_f32(ag, q, sb)), rcp);
    } else {
        x = vmulq_f32(ag, inv_neg);
        lo = vmulq_f32(vfmaq_f32(ag, x, sb), inv_neg);
    }
    // 0 * inf (stability inf, or subnormal with age 0) makes lo NaN: drop it.
    lo = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(lo), vceqq_f32(lo, lo)));
    x = vmaxq_f32(vdupq_n_f32(expc::kDecayMinArg), x);
    x = vminq_f32(vdupq_n_f32(expc::kDecayMaxArg), x);
    const ExpParts e = exp_parts<true>(x, lo);
    // 2^n, or +0 for n < -126.
    const float32x4_t scale = pow2i(vmaxq_s32(e.n, vdupq_n_s32(-127)));
    const float32x4_t out = vmulq_f32(vmulq_f32(st, scale), e.p);
    const uint32x4_t finite = vcltq_f32(vabsq_f32(out), vdupq_n_f32(__builtin_inff()));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(out), finite));
}

template <bool kArray, bool kDivide>
void run(const float* strength, const float* age, const float* stability, float scalar, uint64_t n,
         float* out) {
    const float32x4_t sbs = vdupq_n_f32(scalar);
    const float32x4_t inv_neg = vdupq_n_f32(-1.0f / scalar);
    uint64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t sb = kArray ? vld1q_f32(stability + i) : sbs;
        vst1q_f32(out + i,
                  decay4<kDivide>(vld1q_f32(strength + i), vld1q_f32(age + i), sb, inv_neg));
    }
    if (i < n) {  // the tail through a small stack buffer (kernels never allocate)
        const uint64_t r = n - i;
        float s4[4] = {0, 0, 0, 0}, a4[4] = {0, 0, 0, 0}, b4[4] = {1, 1, 1, 1}, o4[4];
        std::memcpy(s4, strength + i, r * sizeof(float));
        std::memcpy(a4, age + i, r * sizeof(float));
        if (kArray) std::memcpy(b4, stability + i, r * sizeof(float));
        const float32x4_t sb = kArray ? vld1q_f32(b4) : sbs;
        vst1q_f32(o4, decay4<kDivide>(vld1q_f32(s4), vld1q_f32(a4), sb, inv_neg));
        std::memcpy(out + i, o4, r * sizeof(float));
    }
}

struct Isa {
    template <bool kArray, bool kDivide>
    static void run(const float* strength, const float* age, const float* stability, float scalar,
                    uint64_t n, float* out) {
        neon::run<kArray, kDivide>(strength, age, stability, scalar, n, out);
    }
};

}  // namespace

engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void*, uint64_t) {
    return decay_kernel<Isa>(strength, age_seconds, stability, stability_scalar, n, out);
}

}  // namespace engram::plugin::neon
