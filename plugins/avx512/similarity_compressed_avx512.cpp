// ABI 1.1 compressed similarity in the avx512 backend: the 256-bit vector of
// common/compressed_vec256.h (AVX-512VL machines have AVX2 and FMA), not
// 512-bit: measured faster from memory on this host, and one width for every
// call keeps split ranges bit-identical (the reasons and figures are in that
// header).
//
// AVX512_BF16 (vdpbf16ps) and AVX512_VNNI (vpdpbusd) are deliberately not
// used: both would round the float query to bf16 / int8 first, an error of
// up to 2^-9 (bf16) or 1/254 (int8) of each query element, far beyond the
// 1e-5 oracle tolerance of the contract, and the 100k x 768 batch is bound
// by memory bandwidth, not by the widening (docs/internal/kernels.md,
// "Compressed embeddings"). The ABI has the feature bits, so a future plugin
// that requires them is refused where they are missing.
// The row walk and the double fallback are common/similarity_compressed.h.
#include "../common/compressed_vec256.h"
#include "../common/similarity_compressed.h"
#include "kernels_avx512.h"

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
    return compressed_similarity<CompressedVec256>(query, candidates, scales, candidate_norms, n,
                                                   dim, scores);
}

}  // namespace engram::plugin::avx512
