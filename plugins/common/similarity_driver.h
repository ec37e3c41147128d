// The part of every SIMD similarity kernel that does not depend on the
// instruction set: argument checks, the single-pair path, the guards on the
// query's norm, and the walk over the rows -- four at a time, then one. Each
// backend supplies only its vector code, as a struct of static functions:
//
//   struct Isa {
//       struct Sums1 { float qc, qq, cc; };            // one row's float sums
//       template <bool kQQ, bool kCC>
//       static Sums1 row1(const float* q, const float* c, uint64_t dim);
//       static float sum_squares(const float* v, uint64_t dim);
//       // Scores of rows [i, i+4): kCC when the row norms are not given.
//       template <bool kCC>
//       static void block4(const float* q, double qn_d, float qn_f, const float* candidates,
//                          const float* norms, uint64_t i, uint64_t n, uint64_t dim, float*
//                          scores);
//   };
//
// Compiled into each backend's own shared object with that backend's flags
// (hidden visibility: no copy is shared between plugins).
#pragma once

#include <engram/kernel_abi.h>

#include <cmath>
#include <cstdint>

#include "similarity_slow.h"

namespace engram::plugin {

// Candidate matrices of at least this many bytes are walked one row at a time
// (rows1x4 in the avx2 and avx512 backends), smaller ones four rows in
// lock-step (rows4). Lock-step reuses each query load four times, which wins
// while the rows come from cache (768-d: ~1.2x faster at 1k-3k rows); from
// memory, its four streams 4*dim floats apart make the hardware prefetchers
// re-acquire every block, and the single sequential stream wins (avx2 768-d:
// ~1.2-1.3x at 10k-100k rows on Zen 5; avx512 1.36-1.70x on Zen 4, which
// runs 512-bit vectors as two halves). The crossover measured on Zen 5 (32
// MiB L3) lies between 15 and 21 MB. A backend's stream must sum each row
// exactly as its rows4 does: the host splits large requests into ranges that
// may fall on either side of this size (tests/engine/test_parallel.cpp).
inline constexpr uint64_t kStreamBytes = uint64_t{16} << 20;

// Software prefetch distance of the single stream: ~2 rows of 768 floats.
// Measured (avx2, Zen 5): 768 B ahead is no better than none, 3-12 KiB all
// gain ~20-35%.
inline constexpr uint64_t kStreamPrefetchBytes = 6144;

// Score of one row from its float sums, or from the double path when the
// fast-path range checks fail. cc_or_one: the row's c.c, or 1 when its norm
// is given.
inline float finish1(float qc, float cn, float cc_or_one, float qn_f, const float* q, double qn_d,
                     const float* c, const float* norm, uint64_t dim) {
    const float den = qn_f * cn;
    const float sc = qc / den;
    const bool ok = den >= kFastLo && den <= kFastHi && cc_or_one >= kFastLo &&
                    cc_or_one <= kFastHi && std::fabs(sc) <= 2.0f;
    if (!ok) return cosine_row_double(q, qn_d, c, norm, dim);
    return sc > 1.0f ? 1.0f : (sc < -1.0f ? -1.0f : sc);
}

// One pair: q.q, q.c and (without a norm) c.c in a single pass.
template <class Isa>
float single_pair(const float* q, const float* c, const float* norm, uint64_t dim) {
    typename Isa::Sums1 s;
    float cn, cc_check = 1.0f;
    if (norm) {
        s = Isa::template row1<true, false>(q, c, dim);
        cn = *norm;
    } else {
        s = Isa::template row1<true, true>(q, c, dim);
        cn = std::sqrt(s.cc);
        cc_check = s.cc;
    }
    if (!(s.qq >= kFastLo && s.qq <= kFastHi))
        return cosine_row_double(q, norm_double(q, dim), c, norm, dim);
    return finish1(s.qc, cn, cc_check, std::sqrt(s.qq), q, std::sqrt(static_cast<double>(s.qq)), c,
                   norm, dim);
}

// The ABI's similarity entry point, less the unused scratch arguments.
template <class Isa>
engram_status similarity_kernel(const float* query, const float* candidates,
                                const float* candidate_norms, uint64_t n, uint64_t dim,
                                float* scores) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 1) {
        scores[0] = single_pair<Isa>(query, candidates, candidate_norms, dim);
        return ENGRAM_OK;
    }

    const float qq = Isa::sum_squares(query, dim);
    const bool q_fast = qq >= kFastLo && qq <= kFastHi;
    const double qn_d = q_fast ? std::sqrt(static_cast<double>(qq)) : norm_double(query, dim);
    if (!(qn_d > 0.0) || !std::isfinite(qn_d)) {
        for (uint64_t i = 0; i < n; ++i) scores[i] = 0.0f;
        return ENGRAM_OK;
    }
    if (!q_fast) {  // a huge or tiny query: every row needs the double path
        for (uint64_t i = 0; i < n; ++i) {
            scores[i] = cosine_row_double(query, qn_d, candidates + i * dim,
                                          candidate_norms ? candidate_norms + i : nullptr, dim);
        }
        return ENGRAM_OK;
    }
    const float qn_f = std::sqrt(qq);

    uint64_t i = 0;
    if (candidate_norms) {
        for (; i + 4 <= n; i += 4)
            Isa::template block4<false>(query, qn_d, qn_f, candidates, candidate_norms, i, n, dim,
                                        scores);
        for (; i < n; ++i) {
            const float* c = candidates + i * dim;
            const auto s = Isa::template row1<false, false>(query, c, dim);
            scores[i] = finish1(s.qc, candidate_norms[i], 1.0f, qn_f, query, qn_d, c,
                                candidate_norms + i, dim);
        }
    } else {
        for (; i + 4 <= n; i += 4)
            Isa::template block4<true>(query, qn_d, qn_f, candidates, nullptr, i, n, dim, scores);
        for (; i < n; ++i) {
            const float* c = candidates + i * dim;
            const auto s = Isa::template row1<false, true>(query, c, dim);
            scores[i] = finish1(s.qc, std::sqrt(s.cc), s.cc, qn_f, query, qn_d, c, nullptr, dim);
        }
    }
    return ENGRAM_OK;
}

}  // namespace engram::plugin
