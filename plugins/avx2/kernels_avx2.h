// The AVX2 + FMA backend's kernels. Each lives in its own file; table_avx2.cpp
// puts them in the plugin table.
#pragma once

#include <engram/kernel_abi.h>

namespace engram::plugin::avx2 {

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void* scratch,
                         uint64_t scratch_capacity);
engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity);
engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void* scratch,
                    uint64_t scratch_capacity);
uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape);
// ABI 1.1 (similarity_compressed_avx2.cpp).
engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void* scratch, uint64_t scratch_capacity);
engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void* scratch, uint64_t scratch_capacity);
// ABI 1.2 (spread_push, in the spreading source).
engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity);

}  // namespace engram::plugin::avx2
