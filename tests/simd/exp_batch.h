// Batch entry points around each backend's vector exp, for the exp sweep.
// Each is defined in its own file compiled with that instruction set's flags
// (see CMakeLists.txt); the test itself is compiled without them and calls a
// batch only after checking the CPU, so no AVX code runs on a CPU without it.
// The batch files include no standard library headers, so no inline library
// function compiled with those flags can be merged into the rest of the test.
#pragma once

#include <cstddef>

namespace engram::test {

// y[i] = exp(x[i]) for i < n, through the backend's exp_ps.
void exp_batch_avx2(const float* x, float* y, std::size_t n);
void exp_batch_avx512(const float* x, float* y, std::size_t n);
void exp_batch_neon(const float* x, float* y, std::size_t n);

}  // namespace engram::test
