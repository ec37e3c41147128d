// Cosine similarity, AVX-512.
//
// Hot path: float FMA accumulation over the embedding, 16 lanes per vector,
// four candidate rows per pass so each query load feeds four FMAs, with
// enough independent accumulators to hide FMA latency; batches of 16 MiB
// and more stream one row at a time instead (rows1x4, below). Tails use masked
// loads (no scalar loop), and no pointer needs any alignment.
// Exactness: a row whose float sums could have overflowed or lost precision to
// subnormals, or whose score is not finite, is recomputed in double
// (common/similarity_slow.h). NaN never escapes: such rows score 0.
#include <cmath>
#include <cstdint>

#include "../common/similarity_driver.h"
#include "kernels_avx512.h"
#include "simd_avx512.h"

namespace engram::plugin::avx512 {
namespace {

struct Sums1 {
    float qc, qq, cc;
};

// q.c, and optionally q.q and c.c, of one row in a single pass. Four
// accumulators per sum: a 768-d pair is only 48 vectors, so the FMA latency
// chains, not the loads, bound it (AVX-512 has 32 registers to spare).
template <bool kQQ, bool kCC>
Sums1 row1(const float* q, const float* c, uint64_t dim) {
    __m512 qc0 = _mm512_setzero_ps(), qc1 = qc0, qc2 = qc0, qc3 = qc0;
    __m512 qq0 = qc0, qq1 = qc0, qq2 = qc0, qq3 = qc0;
    __m512 cc0 = qc0, cc1 = qc0, cc2 = qc0, cc3 = qc0;
    auto step = [](const float* qp, const float* cp, __m512& qc, __m512& qq, __m512& cc) {
        const __m512 qv = _mm512_loadu_ps(qp), cv = _mm512_loadu_ps(cp);
        qc = _mm512_fmadd_ps(qv, cv, qc);
        if constexpr (kQQ) qq = _mm512_fmadd_ps(qv, qv, qq);
        if constexpr (kCC) cc = _mm512_fmadd_ps(cv, cv, cc);
    };
    uint64_t k = 0;
    for (; k + 64 <= dim; k += 64) {
        step(q + k, c + k, qc0, qq0, cc0);
        step(q + k + 16, c + k + 16, qc1, qq1, cc1);
        step(q + k + 32, c + k + 32, qc2, qq2, cc2);
        step(q + k + 48, c + k + 48, qc3, qq3, cc3);
    }
    // Up to four more vectors, the last one masked.
    for (; k < dim; k += 16) {
        const __mmask16 m = tail_mask(dim - k < 16 ? dim - k : 16);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + k), cv = _mm512_maskz_loadu_ps(m, c + k);
        qc0 = _mm512_fmadd_ps(qv, cv, qc0);
        if constexpr (kQQ) qq0 = _mm512_fmadd_ps(qv, qv, qq0);
        if constexpr (kCC) cc0 = _mm512_fmadd_ps(cv, cv, cc0);
    }
    Sums1 s{};
    s.qc = hsum(_mm512_add_ps(_mm512_add_ps(qc0, qc1), _mm512_add_ps(qc2, qc3)));
    if constexpr (kQQ) s.qq = hsum(_mm512_add_ps(_mm512_add_ps(qq0, qq1), _mm512_add_ps(qq2, qq3)));
    if constexpr (kCC) s.cc = hsum(_mm512_add_ps(_mm512_add_ps(cc0, cc1), _mm512_add_ps(cc2, cc3)));
    return s;
}

float sum_squares(const float* v, uint64_t dim) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    uint64_t k = 0;
    for (; k + 64 <= dim; k += 64) {
        const __m512 v0 = _mm512_loadu_ps(v + k), v1 = _mm512_loadu_ps(v + k + 16);
        const __m512 v2 = _mm512_loadu_ps(v + k + 32), v3 = _mm512_loadu_ps(v + k + 48);
        a0 = _mm512_fmadd_ps(v0, v0, a0);
        a1 = _mm512_fmadd_ps(v1, v1, a1);
        a2 = _mm512_fmadd_ps(v2, v2, a2);
        a3 = _mm512_fmadd_ps(v3, v3, a3);
    }
    for (; k < dim; k += 16) {
        const __m512 v0 = _mm512_maskz_loadu_ps(tail_mask(dim - k < 16 ? dim - k : 16), v + k);
        a0 = _mm512_fmadd_ps(v0, v0, a0);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

struct Sums4 {
    __m128 qc, cc;
};

// Prefetches the cache line of row + 4*dim + k: the same place in the next
// block of four rows. The batch is memory-bound from ~10k rows on, and the
// hardware prefetchers alone lag behind four interleaved streams. Integer
// arithmetic, because the address may lie past the last row (a prefetch
// never faults, but forming such a pointer would be undefined).
inline void prefetch_next_block(const float* row, uint64_t dim, uint64_t k) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(row) + (4 * dim + k) * sizeof(float);
    _mm_prefetch(reinterpret_cast<const char*>(a), _MM_HINT_T0);
}

inline void prefetch_next_block4(const float* r0, const float* r1, const float* r2, const float* r3,
                                 uint64_t dim, uint64_t k) {
    prefetch_next_block(r0, dim, k);
    prefetch_next_block(r1, dim, k);
    prefetch_next_block(r2, dim, k);
    prefetch_next_block(r3, dim, k);
}

// q.c for four consecutive rows, two accumulators per row (8 FMA chains).
// With kCC the rows' c.c come along, one accumulator each (still 8 chains).
template <bool kCC>
Sums4 rows4(const float* q, const float* c, uint64_t dim) {
    const float* r0 = c;
    const float* r1 = c + dim;
    const float* r2 = c + 2 * dim;
    const float* r3 = c + 3 * dim;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    uint64_t k = 0;
    if constexpr (!kCC) {
        for (; k + 32 <= dim; k += 32) {
            prefetch_next_block4(r0, r1, r2, r3, dim, k);
            prefetch_next_block4(r0, r1, r2, r3, dim, k + 16);
            const __m512 q0 = _mm512_loadu_ps(q + k), q1 = _mm512_loadu_ps(q + k + 16);
            a0 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(r0 + k), a0);
            a1 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(r1 + k), a1);
            a2 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(r2 + k), a2);
            a3 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(r3 + k), a3);
            b0 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(r0 + k + 16), b0);
            b1 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(r1 + k + 16), b1);
            b2 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(r2 + k + 16), b2);
            b3 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(r3 + k + 16), b3);
        }
        for (; k < dim; k += 16) {
            const __mmask16 m = tail_mask(dim - k < 16 ? dim - k : 16);
            const __m512 q0 = _mm512_maskz_loadu_ps(m, q + k);
            a0 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, r0 + k), a0);
            a1 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, r1 + k), a1);
            a2 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, r2 + k), a2);
            a3 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, r3 + k), a3);
        }
        return {hsum4(_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1), _mm512_add_ps(a2, b2),
                      _mm512_add_ps(a3, b3)),
                _mm_setzero_ps()};
    } else {
        auto step = [&](__m512 q0, __m512 c0, __m512 c1, __m512 c2, __m512 c3) {
            a0 = _mm512_fmadd_ps(q0, c0, a0);
            a1 = _mm512_fmadd_ps(q0, c1, a1);
            a2 = _mm512_fmadd_ps(q0, c2, a2);
            a3 = _mm512_fmadd_ps(q0, c3, a3);
            b0 = _mm512_fmadd_ps(c0, c0, b0);
            b1 = _mm512_fmadd_ps(c1, c1, b1);
            b2 = _mm512_fmadd_ps(c2, c2, b2);
            b3 = _mm512_fmadd_ps(c3, c3, b3);
        };
        for (; k + 16 <= dim; k += 16) {
            prefetch_next_block4(r0, r1, r2, r3, dim, k);
            step(_mm512_loadu_ps(q + k), _mm512_loadu_ps(r0 + k), _mm512_loadu_ps(r1 + k),
                 _mm512_loadu_ps(r2 + k), _mm512_loadu_ps(r3 + k));
        }
        if (k < dim) {
            const __mmask16 m = tail_mask(dim - k);
            step(_mm512_maskz_loadu_ps(m, q + k), _mm512_maskz_loadu_ps(m, r0 + k),
                 _mm512_maskz_loadu_ps(m, r1 + k), _mm512_maskz_loadu_ps(m, r2 + k),
                 _mm512_maskz_loadu_ps(m, r3 + k));
        }
        return {hsum4(a0, a1, a2, a3), hsum4(b0, b1, b2, b3)};
    }
}

// One row's q.c (and c.c) for batches of kStreamBytes and more
// (common/similarity_driver.h), accumulated exactly as rows4 accumulates it:
// without c.c, a over the first 16 of every 32 floats and b over the second
// 16, the masked tail into a; with c.c, a the q.c and b the c.c of every 16.
// So a row scores the same bits on either side of kStreamBytes
// (tests/engine/test_parallel.cpp). One prefetch per 64-byte line.
template <bool kCC>
[[gnu::always_inline]] inline void row_stream(const float* q, const float* c, uint64_t dim,
                                              __m512& qc, __m512& cc) {
    __m512 a = _mm512_setzero_ps(), b = a;
    const uintptr_t pf = reinterpret_cast<uintptr_t>(c) + kStreamPrefetchBytes;
    const auto prefetch = [pf](uint64_t k) {
        _mm_prefetch(reinterpret_cast<const char*>(pf + k * sizeof(float)), _MM_HINT_T0);
    };
    uint64_t k = 0;
    if constexpr (!kCC) {
        for (; k + 32 <= dim; k += 32) {
            prefetch(k);
            prefetch(k + 16);
            a = _mm512_fmadd_ps(_mm512_loadu_ps(q + k), _mm512_loadu_ps(c + k), a);
            b = _mm512_fmadd_ps(_mm512_loadu_ps(q + k + 16), _mm512_loadu_ps(c + k + 16), b);
        }
        for (; k < dim; k += 16) {
            const __mmask16 m = tail_mask(dim - k < 16 ? dim - k : 16);
            a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + k), _mm512_maskz_loadu_ps(m, c + k),
                                a);
        }
        qc = _mm512_add_ps(a, b);
    } else {
        const auto step = [&](__m512 q0, __m512 c0) {
            a = _mm512_fmadd_ps(q0, c0, a);
            b = _mm512_fmadd_ps(c0, c0, b);
        };
        for (; k + 16 <= dim; k += 16) {
            prefetch(k);
            step(_mm512_loadu_ps(q + k), _mm512_loadu_ps(c + k));
        }
        if (k < dim) {
            const __mmask16 m = tail_mask(dim - k);
            step(_mm512_maskz_loadu_ps(m, q + k), _mm512_maskz_loadu_ps(m, c + k));
        }
        qc = a;
        cc = b;
    }
}

// The sums of rows4, four consecutive rows walked one after another.
template <bool kCC>
Sums4 rows1x4(const float* q, const float* c, uint64_t dim) {
    __m512 qc0, qc1, qc2, qc3;
    __m512 cc0 = _mm512_setzero_ps(), cc1 = cc0, cc2 = cc0, cc3 = cc0;
    row_stream<kCC>(q, c, dim, qc0, cc0);
    row_stream<kCC>(q, c + dim, dim, qc1, cc1);
    row_stream<kCC>(q, c + 2 * dim, dim, qc2, cc2);
    row_stream<kCC>(q, c + 3 * dim, dim, qc3, cc3);
    return {hsum4(qc0, qc1, qc2, qc3), kCC ? hsum4(cc0, cc1, cc2, cc3) : _mm_setzero_ps()};
}

// Scores of rows [i, i+4) from their float sums; rows that fail the fast-path
// range checks are redone in double.
void finish4(const Sums4& s, const float* q, double qn_d, float qn_f, const float* c,
             const float* norms, uint64_t i, uint64_t dim, float* scores) {
    const __m128 lo = _mm_set1_ps(kFastLo), hi = _mm_set1_ps(kFastHi);
    __mmask8 ok;
    __m128 cn;
    if (norms) {
        cn = _mm_loadu_ps(norms + i);
        ok = 0xF;
    } else {
        ok = _mm_cmp_ps_mask(s.cc, lo, _CMP_GE_OQ) & _mm_cmp_ps_mask(s.cc, hi, _CMP_LE_OQ);
        cn = _mm_sqrt_ps(s.cc);
    }
    const __m128 den = _mm_mul_ps(_mm_set1_ps(qn_f), cn);
    __m128 sc = _mm_div_ps(s.qc, den);
    ok &= _mm_cmp_ps_mask(den, lo, _CMP_GE_OQ) & _mm_cmp_ps_mask(den, hi, _CMP_LE_OQ);
    // |sc| <= 2 also rejects NaN (unordered compare is false).
    const __m128 abs_sc = _mm_and_ps(sc, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
    ok &= _mm_cmp_ps_mask(abs_sc, _mm_set1_ps(2.0f), _CMP_LE_OQ);
    sc = _mm_min_ps(_mm_max_ps(sc, _mm_set1_ps(-1.0f)), _mm_set1_ps(1.0f));
    _mm_storeu_ps(scores + i, sc);
    if (ok != 0xF) {
        for (unsigned l = 0; l < 4; ++l) {
            if (ok & (1u << l)) continue;
            const uint64_t r = i + l;
            scores[r] = cosine_row_double(q, qn_d, c + r * dim, norms ? norms + r : nullptr, dim);
        }
    }
}

struct Isa {
    using Sums1 = avx512::Sums1;
    template <bool kQQ, bool kCC>
    static Sums1 row1(const float* q, const float* c, uint64_t dim) {
        return avx512::row1<kQQ, kCC>(q, c, dim);
    }
    static float sum_squares(const float* v, uint64_t dim) { return avx512::sum_squares(v, dim); }
    template <bool kCC>
    static void block4(const float* q, double qn_d, float qn_f, const float* candidates,
                       const float* norms, uint64_t i, uint64_t n, uint64_t dim, float* scores) {
        // n * dim floats exist in memory, so the product cannot overflow.
        const bool stream = n * dim >= kStreamBytes / sizeof(float);
        const float* c = candidates + i * dim;
        finish4(stream ? rows1x4<kCC>(q, c, dim) : rows4<kCC>(q, c, dim), q, qn_d, qn_f, candidates,
                norms, i, dim, scores);
    }
};

}  // namespace

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void*, uint64_t) {
    return similarity_kernel<Isa>(query, candidates, candidate_norms, n, dim, scores);
}

}  // namespace engram::plugin::avx512
