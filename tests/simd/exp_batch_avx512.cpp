// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq (CMakeLists.txt).
#include "avx512/exp_avx512.h"
#include "exp_batch.h"

namespace engram::test {

void exp_batch_avx512(const float* x, float* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(y + i, plugin::avx512::exp_ps(_mm512_loadu_ps(x + i)));
    }
    if (i < n) {
        const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, m, plugin::avx512::exp_ps(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

}  // namespace engram::test
