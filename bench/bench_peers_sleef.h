// The SLEEF decay loops, each in its own translation unit compiled with the
// instruction-set flags it needs (bench/CMakeLists.txt sets them per file).
// Only these plain functions cross the boundary: no inline C++ from a shared
// header is instantiated in those units, so no AVX-512 copy of a common
// function can be picked by the linker for code that runs on any CPU.
// Callers check __builtin_cpu_supports first.
#pragma once

#include <cstddef>

namespace engram::bench {

// out[i] = strength[i] * expf(-max(age[i], 0) / stability[i]), a non-finite
// result stored as 0 (the decay contract), exp by SLEEF's 1.0-ULP
// Sleef_expf8_u10avx2 (8 lanes, AVX2+FMA) / Sleef_expf16_u10avx512f.
void sleef_decay_avx2(const float* strength, const float* age, const float* stability, float* out,
                      std::size_t n);
void sleef_decay_avx512f(const float* strength, const float* age, const float* stability,
                         float* out, std::size_t n);

}  // namespace engram::bench
