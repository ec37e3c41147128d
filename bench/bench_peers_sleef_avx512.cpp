// Compiled with -mavx512f (this file only). See bench_peers_sleef.h.
#include "bench_peers_sleef.h"

// GCC 12 reports the _mm512_undefined_ps() pass-through inside
// _mm512_max_ps() as "may be used uninitialized" (a false positive in the
// intrinsic header, inlined into this file, so SYSTEM does not hide it).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>
#include <sleef.h>

namespace engram::bench {

void sleef_decay_avx512f(const float* strength, const float* age, const float* stability,
                         float* out, std::size_t n) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 inf = _mm512_set1_ps(__builtin_inff());
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 a = _mm512_max_ps(_mm512_loadu_ps(age + i), zero);
        const __m512 x = _mm512_div_ps(a, _mm512_loadu_ps(stability + i));
        const __m512 e = Sleef_expf16_u10avx512f(_mm512_sub_ps(zero, x));
        const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(strength + i), e);
        // |v| < inf is false for NaN and +-inf: those lanes become 0.
        const __mmask16 finite = _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_LT_OQ);
        _mm512_storeu_ps(out + i, _mm512_maskz_mov_ps(finite, v));
    }
    for (; i < n; ++i) {
        const float a = age[i] > 0.0f ? age[i] : 0.0f;
        const float v = strength[i] * Sleef_expf_u10(-a / stability[i]);
        out[i] = __builtin_isfinite(v) ? v : 0.0f;
    }
}

}  // namespace engram::bench
