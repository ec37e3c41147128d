// ABI 1.1 compressed similarity in the avx512 backend: the 256-bit vector of
// common/compressed_vec256.h (AVX-512VL machines have AVX2 and FMA), not
// 512-bit: measured faster from memory on this host, and one width for every
// call keeps split ranges bit-identical (the reasons and figures are in that
// header).
//
// int8 in the avx512_vnni build (ENGRAM_AVX512_VNNI, plugins/avx512/
// CMakeLists.txt): vpdpbusd on the query split into int8 limbs
// (similarity_int8_vnni.h), which keeps the contract's 1e-5 tolerance; the
// avx512 build and any query the limbs cannot serve take the float walk.
// AVX512_BF16 (vdpbf16ps) is not used: it would round the float query to
// bf16 (2^-9 of each element, far beyond the tolerance) or need three bf16
// terms per element, and bf16 already reads at its memory roofline
// (docs/internal/kernels.md, "Compressed embeddings").
// The row walk and the double fallback are common/similarity_compressed.h.
// clang-format off
#include "immintrin_avx512.h"  // first: GCC 12 header warnings (see there)
// clang-format on
#include "../common/compressed_vec256.h"
#include "../common/similarity_compressed.h"
#include "kernels_avx512.h"
#if ENGRAM_AVX512_VNNI
#include "similarity_int8_vnni.h"
#else
#include "../common/int8_limbs_avx2.h"
#endif

namespace engram::plugin::avx512 {

engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    return compressed_similarity<CompressedVec256>(query, candidates, nullptr, candidate_norms, n,
                                                   dim, scores);
}

engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
#if ENGRAM_AVX512_VNNI
    if (similarity_int8_vnni(query, candidates, scales, candidate_norms, n, dim, scores))
        return ENGRAM_OK;
#else
    if (similarity_int8_int16_limbs(query, candidates, scales, candidate_norms, n, dim, scores))
        return ENGRAM_OK;
#endif
    return compressed_similarity<CompressedVec256>(query, candidates, scales, candidate_norms, n,
                                                   dim, scores);
}

}  // namespace engram::plugin::avx512
