// One spreading iteration of the avx2/avx512 kernel in a chosen mode, for the
// modes test: defined in spreading_modes_avx2.cpp, compiled with the avx2
// backend's flags; the test calls it only after checking the CPU.
#pragma once

#include <cstdint>

namespace engram::test {

struct SpreadIterationOut {
    float max;
    uint64_t groups;        // groups of eight nodes (quiet mode only)
    uint64_t quiet_groups;  // of them, skipped (quiet mode only)
};

// plugins/avx2/spreading_avx2_impl.h's iteration<quiet>(...): cur -> next.
SpreadIterationOut spread_iteration_avx2(bool quiet, const uint32_t* offsets,
                                         const uint32_t* sources, const float* weights,
                                         uint64_t n_nodes, float threshold, double decay,
                                         const float* cur, float* next);

}  // namespace engram::test
