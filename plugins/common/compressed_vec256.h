// The 256-bit vector of the compressed similarity row walk
// (similarity_compressed.h), for the avx2 and avx512 backends alike: 8 float
// lanes; bf16 codes widen with vpmovzxwd + a 16-bit left shift (exact), int8
// codes with vpmovsxbd + vcvtdq2ps (exact). Needs AVX2 and FMA.
//
// Why avx512 uses it too: at 100,000 x 768 (rows from memory) the same walk
// on 512-bit vectors measured 1.35x (bf16) and 1.50x (int8) slower than on
// 256-bit ones in the avx512 plugin on a Zen 4 host (EPYC, family 25 model
// 17, which splits 512-bit work into two 256-bit halves; 10.3 vs 7.8 ms, 6.3
// vs 4.2 ms), below the format's read roofline; from cache (10,000 rows)
// 512-bit was 1.25x faster. A CPU with full-width 512-bit units may prefer
// 16 lanes; re-measure there (docs/benchmarks/compressed.md). One width for
// every call, because the host splits large requests into ranges and a row
// must score the same bits whichever range it falls in: a width chosen by
// call size would differ.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace engram::plugin {

struct CompressedVec256 {
    using V = __m256;
    static constexpr uint64_t kLanes = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V fma(V a, V b, V acc) { return _mm256_fmadd_ps(a, b, acc); }
    static float hsum(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
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

}  // namespace engram::plugin
