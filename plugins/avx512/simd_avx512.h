// Small AVX-512 helpers shared by the kernels of this backend.
#pragma once

#include <cstdint>

#include "immintrin_avx512.h"

namespace engram::plugin::avx512 {

// Lanes [0, r) for r in [0, 16].
inline __mmask16 tail_mask(uint64_t r) { return static_cast<__mmask16>((1u << r) - 1u); }

inline __m256 fold256(__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
}

inline float hsum(__m512 v) {
    const __m256 h = fold256(v);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// {sum a, sum b, sum c, sum d}.
inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m256 ab = _mm256_hadd_ps(fold256(a), fold256(b));
    const __m256 cd = _mm256_hadd_ps(fold256(c), fold256(d));
    const __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

}  // namespace engram::plugin::avx512
