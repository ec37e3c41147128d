// The reference backend's kernels: portable scalar C++, no intrinsics. Written
// for clarity first; double accumulators keep it close to the oracle for any
// dimension. Every SIMD backend is measured against this one.
#pragma once

#include <engram/kernel_abi.h>

namespace engram_reference {

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
// ABI 1.1 (similarity_compressed.cpp); plain C types, so this header still
// compiles against the frozen 1.0 header of tests/sdk/fixtures.
engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void* scratch, uint64_t scratch_capacity);
engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void* scratch, uint64_t scratch_capacity);
#if ENGRAM_ABI_MINOR >= 2
// ABI 1.2 (spreading_push.cpp).
engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity);
#endif

}  // namespace engram_reference
