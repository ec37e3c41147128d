// Scalar helpers shared by the SIMD decay kernels.
#pragma once

#include <cfloat>

namespace engram::plugin {

// A scalar stability can be turned into a multiply by -1/stability when both
// it and its reciprocal are normal, positive and finite; anything else (0,
// subnormal, > 1/FLT_MIN, inf, NaN, negative) takes the division path so the
// special cases behave exactly as with a stability array.
inline bool reciprocal_is_safe(float stability) {
    return stability >= FLT_MIN && stability <= 1.0f / FLT_MIN;
}

}  // namespace engram::plugin
