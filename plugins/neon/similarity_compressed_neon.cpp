// ABI 1.1 compressed similarity, NEON (AArch64 Advanced SIMD): bf16 rows widen
// with vshll_n_u16(.., 16) (exact), int8 rows with vmovl_s8 / vmovl_s16 +
// vcvtq_f32_s32 (exact); then 4-lane float FMA (vfmaq_f32).
//
// int8 in the neon_dotprod build (ENGRAM_NEON_DOTPROD, plugins/neon/
// CMakeLists.txt): SDOT on the query split into int8 limbs
// (similarity_int8_sdot.h), which keeps the contract's 1e-5 tolerance; the
// neon build and any query the limbs cannot serve take the float walk.
// The row walk and the double fallback are common/similarity_compressed.h.
#include <arm_neon.h>

#include <cstring>

#include "../common/similarity_compressed.h"
#include "kernels_neon.h"
#if ENGRAM_NEON_DOTPROD
#include "similarity_int8_sdot.h"
#endif

namespace engram::plugin::neon {
namespace {

struct Vec {
    using V = float32x4_t;
    static constexpr uint64_t kLanes = 4;
    static V zero() { return vdupq_n_f32(0.0f); }
    static V fma(V a, V b, V acc) { return vfmaq_f32(acc, a, b); }
    static float hsum(V v) { return vaddvq_f32(v); }
    static V load_q(const float* p) { return vld1q_f32(p); }
    static V load_c(const uint16_t* p) {
        return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
    }
    static V load_c(const int8_t* p) {
        int32_t w;
        std::memcpy(&w, p, sizeof w);
        const int16x8_t h = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(w)));
        return vcvtq_f32_s32(vmovl_s16(vget_low_s16(h)));
    }
};

}  // namespace

engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    return compressed_similarity<Vec>(query, candidates, nullptr, candidate_norms, n, dim, scores);
}

engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
#if ENGRAM_NEON_DOTPROD
    if (similarity_int8_sdot(query, candidates, scales, candidate_norms, n, dim, scores))
        return ENGRAM_OK;
#endif
    return compressed_similarity<Vec>(query, candidates, scales, candidate_norms, n, dim, scores);
}

}  // namespace engram::plugin::neon
