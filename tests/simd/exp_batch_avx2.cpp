// Compiled with -mavx -mavx2 -mfma (CMakeLists.txt).
#include "avx2/exp_avx2.h"
#include "exp_batch.h"

namespace engram::test {

void exp_batch_avx2(const float* x, float* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, plugin::avx2::exp_ps(_mm256_loadu_ps(x + i)));
    }
    if (i < n) {
        float in[8] = {0, 0, 0, 0, 0, 0, 0, 0}, out[8];
        for (std::size_t k = 0; k < n - i; ++k) in[k] = x[i + k];
        _mm256_storeu_ps(out, plugin::avx2::exp_ps(_mm256_loadu_ps(in)));
        for (std::size_t k = 0; k < n - i; ++k) y[i + k] = out[k];
    }
}

}  // namespace engram::test
