// Spreading activation for the avx512 backend: the AVX2 implementation,
// compiled here with AVX-512 enabled. On the Zen 5 EPYC this was tuned on,
// 16-wide vgatherdps was no faster than eight scalar loads per vector
// (~0.39 vs ~0.22 ns per edge), so the wider registers buy nothing here.
// First, before anything else can include <immintrin.h>: see the note there.
#include "immintrin_avx512.h"
// (separate block, so include sorting keeps the order)

#include "../avx2/spreading_avx2_impl.h"
#include "kernels_avx512.h"

namespace engram::plugin::avx512 {

engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity) {
    return avx2::spread_impl(offsets, sources, weights, n_nodes, params, activation, scratch,
                             scratch_capacity);
}

engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity) {
    return avx2::spread_push_impl(offsets, sources, weights, out, n_nodes, params, activation,
                                  scratch, scratch_capacity);
}

}  // namespace engram::plugin::avx512
