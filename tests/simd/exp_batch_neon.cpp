// Advanced SIMD is baseline on AArch64: no extra flags.
#include "exp_batch.h"
#include "neon/exp_neon.h"

namespace engram::test {

void exp_batch_neon(const float* x, float* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, plugin::neon::exp_ps(vld1q_f32(x + i)));
    if (i < n) {
        float in[4] = {0, 0, 0, 0}, out[4];
        for (std::size_t k = 0; k < n - i; ++k) in[k] = x[i + k];
        vst1q_f32(out, plugin::neon::exp_ps(vld1q_f32(in)));
        for (std::size_t k = 0; k < n - i; ++k) y[i + k] = out[k];
    }
}

}  // namespace engram::test
