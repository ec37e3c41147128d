// ABI 1.1 compressed similarity, AVX2 + FMA: bf16 rows widen with
// vpmovzxwd + a 16-bit left shift (exact), int8 rows with vpmovsxbd +
// vcvtdq2ps (exact); then the float FMA of the f32 kernel.
// The row walk, the fast-path checks and the double fallback are
// common/similarity_compressed.h.
#include <immintrin.h>

#include "../common/similarity_compressed.h"
#include "kernels_avx2.h"
#include "simd_avx2.h"

namespace engram::plugin::avx2 {
namespace {

struct Vec {
    using V = __m256;
    static constexpr uint64_t kLanes = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V fma(V a, V b, V acc) { return _mm256_fmadd_ps(a, b, acc); }
    static float hsum(V v) { return avx2::hsum(v); }
    static V load_q(const float* p) { return _mm256_loadu_ps(p); }
    static V load_c(const uint16_t* p) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    static V load_c(const int8_t* p) {
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
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
    return compressed_similarity<Vec>(query, candidates, scales, candidate_norms, n, dim, scores);
}

}  // namespace engram::plugin::avx2
