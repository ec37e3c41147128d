// Cosine similarity, AVX2 + FMA.
//
// Hot path: float FMA accumulation over the embedding with enough independent
// accumulators to hide FMA latency. A batch that fits in cache goes four
// candidate rows per pass so each query load feeds four FMAs; a larger one
// (kStreamBytes) goes one row at a time, one sequential stream (rows1x4).
// Tails use masked loads, never a scalar loop, and no pointer needs any
// alignment.
// Exactness: a row whose float sums could have overflowed or lost precision to
// subnormals, or whose score is not finite, is recomputed in double
// (common/similarity_slow.h). NaN never escapes: such rows score 0.
#include <cmath>
#include <cstdint>

#include "../common/similarity_driver.h"
#include "kernels_avx2.h"
#include "simd_avx2.h"

namespace engram::plugin::avx2 {
namespace {

struct Sums1 {
    float qc, qq, cc;
};

// q.c, and optionally q.q and c.c, of one row in a single pass (the single
// pair reads both vectors once; leftover rows of a batch skip q.q).
template <bool kQQ, bool kCC>
Sums1 row1(const float* q, const float* c, uint64_t dim) {
    __m256 qc0 = _mm256_setzero_ps(), qc1 = qc0, qc2 = qc0, qc3 = qc0;
    __m256 qq0 = qc0, qq1 = qc0, cc0 = qc0, cc1 = qc0;
    uint64_t k = 0;
    for (; k + 16 <= dim; k += 16) {
        const __m256 q0 = _mm256_loadu_ps(q + k), q1 = _mm256_loadu_ps(q + k + 8);
        const __m256 c0 = _mm256_loadu_ps(c + k), c1 = _mm256_loadu_ps(c + k + 8);
        qc0 = _mm256_fmadd_ps(q0, c0, qc0);
        qc1 = _mm256_fmadd_ps(q1, c1, qc1);
        if constexpr (kQQ) {
            qq0 = _mm256_fmadd_ps(q0, q0, qq0);
            qq1 = _mm256_fmadd_ps(q1, q1, qq1);
        }
        if constexpr (kCC) {
            cc0 = _mm256_fmadd_ps(c0, c0, cc0);
            cc1 = _mm256_fmadd_ps(c1, c1, cc1);
        }
    }
    if (k + 8 <= dim) {
        const __m256 q0 = _mm256_loadu_ps(q + k), c0 = _mm256_loadu_ps(c + k);
        qc2 = _mm256_fmadd_ps(q0, c0, qc2);
        if constexpr (kQQ) qq0 = _mm256_fmadd_ps(q0, q0, qq0);
        if constexpr (kCC) cc0 = _mm256_fmadd_ps(c0, c0, cc0);
        k += 8;
    }
    if (k < dim) {
        const __m256i m = tail_mask(dim - k);
        const __m256 q0 = _mm256_maskload_ps(q + k, m), c0 = _mm256_maskload_ps(c + k, m);
        qc3 = _mm256_fmadd_ps(q0, c0, qc3);
        if constexpr (kQQ) qq1 = _mm256_fmadd_ps(q0, q0, qq1);
        if constexpr (kCC) cc1 = _mm256_fmadd_ps(c0, c0, cc1);
    }
    Sums1 s{};
    s.qc = hsum(_mm256_add_ps(_mm256_add_ps(qc0, qc1), _mm256_add_ps(qc2, qc3)));
    if constexpr (kQQ) s.qq = hsum(_mm256_add_ps(qq0, qq1));
    if constexpr (kCC) s.cc = hsum(_mm256_add_ps(cc0, cc1));
    return s;
}

float sum_squares(const float* v, uint64_t dim) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    uint64_t k = 0;
    for (; k + 32 <= dim; k += 32) {
        const __m256 v0 = _mm256_loadu_ps(v + k), v1 = _mm256_loadu_ps(v + k + 8);
        const __m256 v2 = _mm256_loadu_ps(v + k + 16), v3 = _mm256_loadu_ps(v + k + 24);
        a0 = _mm256_fmadd_ps(v0, v0, a0);
        a1 = _mm256_fmadd_ps(v1, v1, a1);
        a2 = _mm256_fmadd_ps(v2, v2, a2);
        a3 = _mm256_fmadd_ps(v3, v3, a3);
    }
    for (; k + 8 <= dim; k += 8) {
        const __m256 v0 = _mm256_loadu_ps(v + k);
        a0 = _mm256_fmadd_ps(v0, v0, a0);
    }
    if (k < dim) {
        const __m256 v0 = _mm256_maskload_ps(v + k, tail_mask(dim - k));
        a1 = _mm256_fmadd_ps(v0, v0, a1);
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
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

// q.c for four consecutive rows, two accumulators per row (8 FMA chains).
// With kCC the rows' c.c come along, one accumulator each (still 8 chains).
template <bool kCC>
Sums4 rows4(const float* q, const float* c, uint64_t dim) {
    const float* r0 = c;
    const float* r1 = c + dim;
    const float* r2 = c + 2 * dim;
    const float* r3 = c + 3 * dim;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    uint64_t k = 0;
    if constexpr (!kCC) {
        for (; k + 16 <= dim; k += 16) {
            prefetch_next_block(r0, dim, k);
            prefetch_next_block(r1, dim, k);
            prefetch_next_block(r2, dim, k);
            prefetch_next_block(r3, dim, k);
            const __m256 q0 = _mm256_loadu_ps(q + k), q1 = _mm256_loadu_ps(q + k + 8);
            a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r0 + k), a0);
            a1 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r1 + k), a1);
            a2 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r2 + k), a2);
            a3 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r3 + k), a3);
            b0 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r0 + k + 8), b0);
            b1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r1 + k + 8), b1);
            b2 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r2 + k + 8), b2);
            b3 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r3 + k + 8), b3);
        }
        for (; k + 8 <= dim; k += 8) {
            const __m256 q0 = _mm256_loadu_ps(q + k);
            a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r0 + k), a0);
            a1 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r1 + k), a1);
            a2 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r2 + k), a2);
            a3 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r3 + k), a3);
        }
        if (k < dim) {
            const __m256i m = tail_mask(dim - k);
            const __m256 q0 = _mm256_maskload_ps(q + k, m);
            b0 = _mm256_fmadd_ps(q0, _mm256_maskload_ps(r0 + k, m), b0);
            b1 = _mm256_fmadd_ps(q0, _mm256_maskload_ps(r1 + k, m), b1);
            b2 = _mm256_fmadd_ps(q0, _mm256_maskload_ps(r2 + k, m), b2);
            b3 = _mm256_fmadd_ps(q0, _mm256_maskload_ps(r3 + k, m), b3);
        }
        return {hsum4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2),
                      _mm256_add_ps(a3, b3)),
                _mm_setzero_ps()};
    } else {
        auto step = [&](__m256 q0, __m256 c0, __m256 c1, __m256 c2, __m256 c3) {
            a0 = _mm256_fmadd_ps(q0, c0, a0);
            a1 = _mm256_fmadd_ps(q0, c1, a1);
            a2 = _mm256_fmadd_ps(q0, c2, a2);
            a3 = _mm256_fmadd_ps(q0, c3, a3);
            b0 = _mm256_fmadd_ps(c0, c0, b0);
            b1 = _mm256_fmadd_ps(c1, c1, b1);
            b2 = _mm256_fmadd_ps(c2, c2, b2);
            b3 = _mm256_fmadd_ps(c3, c3, b3);
        };
        for (; k + 8 <= dim; k += 8) {
            if ((k & 15) == 0) {  // one prefetch per 64-byte line and row
                prefetch_next_block(r0, dim, k);
                prefetch_next_block(r1, dim, k);
                prefetch_next_block(r2, dim, k);
                prefetch_next_block(r3, dim, k);
            }
            step(_mm256_loadu_ps(q + k), _mm256_loadu_ps(r0 + k), _mm256_loadu_ps(r1 + k),
                 _mm256_loadu_ps(r2 + k), _mm256_loadu_ps(r3 + k));
        }
        if (k < dim) {
            const __m256i m = tail_mask(dim - k);
            step(_mm256_maskload_ps(q + k, m), _mm256_maskload_ps(r0 + k, m),
                 _mm256_maskload_ps(r1 + k, m), _mm256_maskload_ps(r2 + k, m),
                 _mm256_maskload_ps(r3 + k, m));
        }
        return {hsum4(a0, a1, a2, a3), hsum4(b0, b1, b2, b3)};
    }
}

// q.c (and with kCC c.c) of one row as vectors of partial sums, one
// prefetch per 64-byte line kStreamPrefetchBytes ahead in the same stream
// (integer arithmetic: the address may lie past the last row). Each sum is
// accumulated exactly as rows4 accumulates that row (the same vectors into
// the same accumulators in the same order), so a row scores the same bits
// whichever walk its call takes: the walk depends on the call's size, and
// the host splits large requests into ranges that may fall on either side
// of kStreamBytes (tests/engine/test_parallel.cpp). Two FMA chains per row
// are enough for a stream from memory (~40 GB/s of FMA at 2.6 GHz against
// ~16-19 GB/s of DRAM here). Always inlined: as an out-of-line call per row
// the 768x100000 batch measured ~1.2x slower.
template <bool kCC>
[[gnu::always_inline]] inline void row_stream(const float* q, const float* c, uint64_t dim,
                                              __m256& qc, __m256& cc) {
    __m256 a = _mm256_setzero_ps(), b = a;
    const uintptr_t pf = reinterpret_cast<uintptr_t>(c) + kStreamPrefetchBytes;
    const auto prefetch = [pf](uint64_t k) {
        _mm_prefetch(reinterpret_cast<const char*>(pf + k * sizeof(float)), _MM_HINT_T0);
    };
    uint64_t k = 0;
    if constexpr (!kCC) {  // rows4: a over the first 8 of every 16, b the second 8
        for (; k + 16 <= dim; k += 16) {
            prefetch(k);
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + k), _mm256_loadu_ps(c + k), a);
            b = _mm256_fmadd_ps(_mm256_loadu_ps(q + k + 8), _mm256_loadu_ps(c + k + 8), b);
        }
        for (; k + 8 <= dim; k += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + k), _mm256_loadu_ps(c + k), a);
        if (k < dim) {
            const __m256i m = tail_mask(dim - k);
            b = _mm256_fmadd_ps(_mm256_maskload_ps(q + k, m), _mm256_maskload_ps(c + k, m), b);
        }
        qc = _mm256_add_ps(a, b);
    } else {  // rows4 with c.c: a the q.c of every 8, b the c.c
        const auto step = [&](__m256 q0, __m256 c0) {
            a = _mm256_fmadd_ps(q0, c0, a);
            b = _mm256_fmadd_ps(c0, c0, b);
        };
        for (; k + 8 <= dim; k += 8) {
            if ((k & 15) == 0) prefetch(k);
            step(_mm256_loadu_ps(q + k), _mm256_loadu_ps(c + k));
        }
        if (k < dim) {
            const __m256i m = tail_mask(dim - k);
            step(_mm256_maskload_ps(q + k, m), _mm256_maskload_ps(c + k, m));
        }
        qc = a;
        cc = b;
    }
}

// The sums of rows4, four consecutive rows walked one after another.
template <bool kCC>
Sums4 rows1x4(const float* q, const float* c, uint64_t dim) {
    __m256 qc0, qc1, qc2, qc3;
    __m256 cc0 = _mm256_setzero_ps(), cc1 = cc0, cc2 = cc0, cc3 = cc0;
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
    __m128 ok;
    __m128 cn;
    if (norms) {
        cn = _mm_loadu_ps(norms + i);
        ok = _mm_castsi128_ps(_mm_set1_epi32(-1));
    } else {
        ok = _mm_and_ps(_mm_cmpge_ps(s.cc, lo), _mm_cmple_ps(s.cc, hi));
        cn = _mm_sqrt_ps(s.cc);
    }
    const __m128 den = _mm_mul_ps(_mm_set1_ps(qn_f), cn);
    __m128 sc = _mm_div_ps(s.qc, den);
    ok = _mm_and_ps(ok, _mm_and_ps(_mm_cmpge_ps(den, lo), _mm_cmple_ps(den, hi)));
    // |sc| <= 2 also rejects NaN (unordered compare is false).
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    ok = _mm_and_ps(ok, _mm_cmple_ps(_mm_and_ps(sc, absmask), _mm_set1_ps(2.0f)));
    sc = _mm_min_ps(_mm_max_ps(sc, _mm_set1_ps(-1.0f)), _mm_set1_ps(1.0f));
    _mm_storeu_ps(scores + i, sc);
    const int good = _mm_movemask_ps(ok);
    if (good != 0xF) {
        for (int l = 0; l < 4; ++l) {
            if (good & (1 << l)) continue;
            const uint64_t r = i + static_cast<uint64_t>(l);
            scores[r] = cosine_row_double(q, qn_d, c + r * dim, norms ? norms + r : nullptr, dim);
        }
    }
}

struct Isa {
    using Sums1 = avx2::Sums1;
    template <bool kQQ, bool kCC>
    static Sums1 row1(const float* q, const float* c, uint64_t dim) {
        return avx2::row1<kQQ, kCC>(q, c, dim);
    }
    static float sum_squares(const float* v, uint64_t dim) { return avx2::sum_squares(v, dim); }
    template <bool kCC>
    static void block4(const float* q, double qn_d, float qn_f, const float* candidates,
                       const float* norms, uint64_t i, uint64_t n, uint64_t dim, float* scores) {
        // n * dim floats exist in memory, so the product cannot overflow.
        const bool stream = n * dim >= kStreamBytes / sizeof(float);
        const float* c = candidates + i * dim;
        const Sums4 s = stream ? rows1x4<kCC>(q, c, dim) : rows4<kCC>(q, c, dim);
        finish4(s, q, qn_d, qn_f, candidates, norms, i, dim, scores);
    }
};

}  // namespace

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void*, uint64_t) {
    return similarity_kernel<Isa>(query, candidates, candidate_norms, n, dim, scores);
}

}  // namespace engram::plugin::avx2
