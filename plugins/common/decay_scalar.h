// What the SIMD decay kernels share: the scalar-stability check and the
// entry point's dispatch. Each backend supplies only its vector loop:
//   struct Isa {
//       template <bool kArray, bool kDivide>
//       static void run(const float* strength, const float* age, const float* stability,
//                       float scalar, uint64_t n, float* out);
//   };
#pragma once

#include <engram/kernel_abi.h>

#include <cfloat>
#include <cstdint>

namespace engram::plugin {

// A scalar stability can be turned into a multiply by -1/stability when both
// it and its reciprocal are normal, positive and finite; anything else (0,
// subnormal, > 1/FLT_MIN, inf, NaN, negative) takes the division path so the
// special cases behave exactly as with a stability array.
inline bool reciprocal_is_safe(float stability) {
    return stability >= FLT_MIN && stability <= 1.0f / FLT_MIN;
}

// The ABI's decay entry point, less the unused scratch arguments.
template <class Isa>
engram_status decay_kernel(const float* strength, const float* age_seconds, const float* stability,
                           float stability_scalar, uint64_t n, float* out) {
    if (n == 0) return ENGRAM_OK;
    if (!strength || !age_seconds || !out) return ENGRAM_E_INVALID_ARGUMENT;
    if (stability) {
        Isa::template run<true, true>(strength, age_seconds, stability, 0.0f, n, out);
    } else if (reciprocal_is_safe(stability_scalar)) {
        Isa::template run<false, false>(strength, age_seconds, nullptr, stability_scalar, n, out);
    } else {  // 0, subnormal, huge, inf, NaN or negative: divide like the array path
        Isa::template run<false, true>(strength, age_seconds, nullptr, stability_scalar, n, out);
    }
    return ENGRAM_OK;
}

}  // namespace engram::plugin
