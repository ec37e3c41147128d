// Spreading activation, AVX2: see spreading_avx2_impl.h.
#include "kernels_avx2.h"
#include "spreading_avx2_impl.h"

namespace engram::plugin::avx2 {

engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity) {
    return spread_impl(offsets, sources, weights, n_nodes, params, activation, scratch,
                       scratch_capacity);
}

engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity) {
    return spread_push_impl(offsets, sources, weights, out, n_nodes, params, activation, scratch,
                            scratch_capacity);
}

}  // namespace engram::plugin::avx2
