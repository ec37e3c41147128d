// Compiled with -mavx -mavx2 -mfma (CMakeLists.txt): the kernel's own code.
#include "avx2/spreading_avx2_impl.h"
#include "spreading_modes.h"

namespace engram::test {

SpreadIterationOut spread_iteration_avx2(bool quiet, const uint32_t* offsets,
                                         const uint32_t* sources, const float* weights,
                                         uint64_t n_nodes, float threshold, double decay,
                                         const float* cur, float* next) {
    using plugin::avx2::spreading_detail::iteration;
    const auto r =
        quiet ? iteration<true>(offsets, sources, weights, n_nodes, threshold, decay, cur, next)
              : iteration<false>(offsets, sources, weights, n_nodes, threshold, decay, cur, next);
    return {r.max, r.groups, r.quiet_groups};
}

}  // namespace engram::test
