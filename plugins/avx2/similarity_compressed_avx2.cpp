// ABI 1.1 compressed similarity, AVX2 + FMA. int8: exact integer sums against
// the query's int16 limbs (common/int8_limbs_avx2.h) where they apply, else
// the float walk. bf16 (and that int8 walk): the 256-bit vector of
// common/compressed_vec256.h (codes widened exactly), then the float FMA of
// the f32 kernel; the row walk, the fast-path checks and the double fallback
// are common/similarity_compressed.h.
#include "../common/compressed_vec256.h"
#include "../common/int8_limbs_avx2.h"
#include "../common/similarity_compressed.h"
#include "kernels_avx2.h"

namespace engram::plugin::avx2 {

engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    return compressed_similarity<CompressedVec256>(query, candidates, nullptr, candidate_norms, n,
                                                   dim, scores);
}

engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    if (similarity_int8_int16_limbs(query, candidates, scales, candidate_norms, n, dim, scores))
        return ENGRAM_OK;
    return compressed_similarity<CompressedVec256>(query, candidates, scales, candidate_norms, n,
                                                   dim, scores);
}

}  // namespace engram::plugin::avx2
