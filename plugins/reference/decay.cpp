#include <cmath>

#include "kernels.h"

namespace engram_reference {

engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void*, uint64_t) {
    if (n == 0) return ENGRAM_OK;
    if (!strength || !age_seconds || !out) return ENGRAM_E_INVALID_ARGUMENT;
    for (uint64_t i = 0; i < n; ++i) {
        // A negative age (clock skew) counts as 0; a NaN age stays NaN and,
        // like any non-finite result, becomes 0.
        const double age = age_seconds[i] < 0.0f ? 0.0 : static_cast<double>(age_seconds[i]);
        const double s = stability ? stability[i] : stability_scalar;
        const double v = strength[i] * std::exp(-age / s);
        // Checked after narrowing: a finite double above FLT_MAX becomes inf.
        const float f = static_cast<float>(v);
        out[i] = std::isfinite(f) ? f : 0.0f;
    }
    return ENGRAM_OK;
}

}  // namespace engram_reference
