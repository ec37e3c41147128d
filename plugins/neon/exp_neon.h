// Vectorised expf for AArch64 Advanced SIMD, header-only so tests/simd can
// sweep it.
//
// Same reduction and polynomial as the x86 backends (common/exp_constants.h).
// Accuracy: <= 2 ulp for every float input (max printed by tests/simd),
// counted on float's grid: 2^(e-23) in the normal range and the fixed
// subnormal spacing 2^-149 below FLT_MIN. Subnormal results underflow
// gradually: 2^n is applied as two exact multiplies and one rounding.
// x < -105 gives +0, x > 89 gives +inf, NaN gives NaN.
#pragma once

#include <arm_neon.h>

#include "../common/exp_constants.h"

namespace engram::plugin::neon {

// exp(x + xlo) = p * 2^n with p in [~0.7, ~1.42]. x must be clamped to
// |x| <= 350; xlo (only with kLo) is a small correction.
struct ExpParts {
    float32x4_t p;
    int32x4_t n;
};

template <bool kLo>
inline ExpParts exp_parts(float32x4_t x, float32x4_t xlo) {
    using namespace expc;
    const float32x4_t magic = vdupq_n_f32(kRoundMagic);
    const float32x4_t t = vfmaq_f32(magic, x, vdupq_n_f32(kLog2e));
    const float32x4_t nf = vsubq_f32(t, magic);
    const int32x4_t n = vsubq_s32(vreinterpretq_s32_f32(t), vdupq_n_s32(kRoundMagicBits));
    float32x4_t r = vfmsq_f32(x, nf, vdupq_n_f32(kLn2Hi));
    r = vfmsq_f32(r, nf, vdupq_n_f32(kLn2Lo));
    if constexpr (kLo) r = vaddq_f32(r, xlo);
    float32x4_t y = vdupq_n_f32(kP0);
    y = vfmaq_f32(vdupq_n_f32(kP1), y, r);
    y = vfmaq_f32(vdupq_n_f32(kP2), y, r);
    y = vfmaq_f32(vdupq_n_f32(kP3), y, r);
    y = vfmaq_f32(vdupq_n_f32(kP4), y, r);
    const float32x4_t r2 = vmulq_f32(r, r);
    const float32x4_t p = vaddq_f32(vfmaq_f32(r, y, r2), vdupq_n_f32(1.0f));
    return {p, n};
}

// 2^k as a float, for k in [-127, 128] (-127 gives +0, 128 gives +inf).
inline float32x4_t pow2i(int32x4_t k) {
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k, vdupq_n_s32(127)), 23));
}

// y * 2^k for k in [-252, 254], y normal: the first multiply stays normal
// whenever the result is not zero, so only the second one rounds.
inline float32x4_t ldexp_split(float32x4_t y, int32x4_t k) {
    const int32x4_t k1 = vshrq_n_s32(k, 1);
    const int32x4_t k2 = vsubq_s32(k, k1);
    return vmulq_f32(vmulq_f32(y, pow2i(k1)), pow2i(k2));
}

inline float32x4_t exp_ps(float32x4_t x) {
    // NEON max/min propagate NaN, so the clamp keeps a NaN input NaN.
    x = vmaxq_f32(vdupq_n_f32(expc::kMinArg), x);
    x = vminq_f32(vdupq_n_f32(expc::kMaxArg), x);
    const ExpParts e = exp_parts<false>(x, vdupq_n_f32(0.0f));
    return ldexp_split(e.p, e.n);
}

}  // namespace engram::plugin::neon
