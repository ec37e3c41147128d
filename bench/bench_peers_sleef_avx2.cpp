// Compiled with -mavx2 -mfma (this file only). See bench_peers_sleef.h.
#include <immintrin.h>
#include <sleef.h>

#include "bench_peers_sleef.h"

namespace engram::bench {

void sleef_decay_avx2(const float* strength, const float* age, const float* stability, float* out,
                      std::size_t n) {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 inf = _mm256_set1_ps(__builtin_inff());
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_max_ps(_mm256_loadu_ps(age + i), zero);
        const __m256 x = _mm256_div_ps(a, _mm256_loadu_ps(stability + i));
        const __m256 e = Sleef_expf8_u10avx2(_mm256_sub_ps(zero, x));
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(strength + i), e);
        // |v| < inf is false for NaN and +-inf: those lanes become 0.
        const __m256 finite =
            _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), inf, _CMP_LT_OQ);
        _mm256_storeu_ps(out + i, _mm256_and_ps(v, finite));
    }
    for (; i < n; ++i) {
        const float a = age[i] > 0.0f ? age[i] : 0.0f;
        const float v = strength[i] * Sleef_expf_u10(-a / stability[i]);
        out[i] = __builtin_isfinite(v) ? v : 0.0f;
    }
}

}  // namespace engram::bench
