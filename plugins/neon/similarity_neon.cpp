// Cosine similarity, NEON.
//
// Hot path: float FMA accumulation, four candidate rows per pass so each
// query load feeds four FMAs, two accumulators per row (NEON has 32 vector
// registers). The last dim % 4 elements are added in scalar; no pointer needs
// any alignment.
// Exactness: a row whose float sums could have overflowed or lost precision to
// subnormals, or whose score is not finite, is recomputed in double
// (common/similarity_slow.h). NaN never escapes: such rows score 0.
#include <arm_neon.h>

#include <cmath>

#include "../common/similarity_slow.h"
#include "kernels_neon.h"

namespace engram::plugin::neon {
namespace {

struct Sums1 {
    float qc, qq, cc;
};

template <bool kQQ, bool kCC>
Sums1 row1(const float* q, const float* c, uint64_t dim) {
    float32x4_t qc0 = vdupq_n_f32(0.0f), qc1 = qc0, qq0 = qc0, qq1 = qc0, cc0 = qc0, cc1 = qc0;
    uint64_t k = 0;
    for (; k + 8 <= dim; k += 8) {
        const float32x4_t q0 = vld1q_f32(q + k), q1 = vld1q_f32(q + k + 4);
        const float32x4_t c0 = vld1q_f32(c + k), c1 = vld1q_f32(c + k + 4);
        qc0 = vfmaq_f32(qc0, q0, c0);
        qc1 = vfmaq_f32(qc1, q1, c1);
        if constexpr (kQQ) {
            qq0 = vfmaq_f32(qq0, q0, q0);
            qq1 = vfmaq_f32(qq1, q1, q1);
        }
        if constexpr (kCC) {
            cc0 = vfmaq_f32(cc0, c0, c0);
            cc1 = vfmaq_f32(cc1, c1, c1);
        }
    }
    if (k + 4 <= dim) {
        const float32x4_t q0 = vld1q_f32(q + k), c0 = vld1q_f32(c + k);
        qc0 = vfmaq_f32(qc0, q0, c0);
        if constexpr (kQQ) qq0 = vfmaq_f32(qq0, q0, q0);
        if constexpr (kCC) cc0 = vfmaq_f32(cc0, c0, c0);
        k += 4;
    }
    Sums1 s{};
    s.qc = vaddvq_f32(vaddq_f32(qc0, qc1));
    if constexpr (kQQ) s.qq = vaddvq_f32(vaddq_f32(qq0, qq1));
    if constexpr (kCC) s.cc = vaddvq_f32(vaddq_f32(cc0, cc1));
    for (; k < dim; ++k) {
        s.qc += q[k] * c[k];
        if constexpr (kQQ) s.qq += q[k] * q[k];
        if constexpr (kCC) s.cc += c[k] * c[k];
    }
    return s;
}

float sum_squares(const float* v, uint64_t dim) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    uint64_t k = 0;
    for (; k + 16 <= dim; k += 16) {
        const float32x4_t v0 = vld1q_f32(v + k), v1 = vld1q_f32(v + k + 4);
        const float32x4_t v2 = vld1q_f32(v + k + 8), v3 = vld1q_f32(v + k + 12);
        a0 = vfmaq_f32(a0, v0, v0);
        a1 = vfmaq_f32(a1, v1, v1);
        a2 = vfmaq_f32(a2, v2, v2);
        a3 = vfmaq_f32(a3, v3, v3);
    }
    for (; k + 4 <= dim; k += 4) {
        const float32x4_t v0 = vld1q_f32(v + k);
        a0 = vfmaq_f32(a0, v0, v0);
    }
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; k < dim; ++k) s += v[k] * v[k];
    return s;
}

struct Sums4 {
    float qc[4], cc[4];
};

template <bool kCC>
Sums4 rows4(const float* q, const float* c, uint64_t dim) {
    const float* r[4] = {c, c + dim, c + 2 * dim, c + 3 * dim};
    float32x4_t a[4], b[4], s[4], t[4];
    for (int l = 0; l < 4; ++l) a[l] = b[l] = s[l] = t[l] = vdupq_n_f32(0.0f);
    uint64_t k = 0;
    for (; k + 8 <= dim; k += 8) {
        const float32x4_t q0 = vld1q_f32(q + k), q1 = vld1q_f32(q + k + 4);
        for (int l = 0; l < 4; ++l) {
            const float32x4_t c0 = vld1q_f32(r[l] + k), c1 = vld1q_f32(r[l] + k + 4);
            a[l] = vfmaq_f32(a[l], q0, c0);
            b[l] = vfmaq_f32(b[l], q1, c1);
            if constexpr (kCC) {
                s[l] = vfmaq_f32(s[l], c0, c0);
                t[l] = vfmaq_f32(t[l], c1, c1);
            }
        }
    }
    if (k + 4 <= dim) {
        const float32x4_t q0 = vld1q_f32(q + k);
        for (int l = 0; l < 4; ++l) {
            const float32x4_t c0 = vld1q_f32(r[l] + k);
            a[l] = vfmaq_f32(a[l], q0, c0);
            if constexpr (kCC) s[l] = vfmaq_f32(s[l], c0, c0);
        }
        k += 4;
    }
    Sums4 out{};
    for (int l = 0; l < 4; ++l) {
        out.qc[l] = vaddvq_f32(vaddq_f32(a[l], b[l]));
        if constexpr (kCC) out.cc[l] = vaddvq_f32(vaddq_f32(s[l], t[l]));
        for (uint64_t j = k; j < dim; ++j) {
            out.qc[l] += q[j] * r[l][j];
            if constexpr (kCC) out.cc[l] += r[l][j] * r[l][j];
        }
    }
    return out;
}

// Score of one row from its float sums, or from the double path when the
// fast-path range checks fail. cc: the row's c.c, or 1 when the norm is given.
float finish(float qc, float cn, float cc, float qn_f, const float* q, double qn_d, const float* c,
             const float* norm, uint64_t dim) {
    const float den = qn_f * cn;
    const float sc = qc / den;
    const bool ok =
        den >= kFastLo && den <= kFastHi && cc >= kFastLo && cc <= kFastHi && std::fabs(sc) <= 2.0f;
    if (!ok) return cosine_row_double(q, qn_d, c, norm, dim);
    return sc > 1.0f ? 1.0f : (sc < -1.0f ? -1.0f : sc);
}

float single_pair(const float* q, const float* c, const float* norm, uint64_t dim) {
    Sums1 s;
    float cn, cc_check = 1.0f;
    if (norm) {
        s = row1<true, false>(q, c, dim);
        cn = *norm;
    } else {
        s = row1<true, true>(q, c, dim);
        cn = std::sqrt(s.cc);
        cc_check = s.cc;
    }
    if (!(s.qq >= kFastLo && s.qq <= kFastHi)) {
        return cosine_row_double(q, norm_double(q, dim), c, norm, dim);
    }
    return finish(s.qc, cn, cc_check, std::sqrt(s.qq), q, std::sqrt(static_cast<double>(s.qq)), c,
                  norm, dim);
}

}  // namespace

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void*, uint64_t) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 1) {
        scores[0] = single_pair(query, candidates, candidate_norms, dim);
        return ENGRAM_OK;
    }

    const float qq = sum_squares(query, dim);
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
    const float* norms = candidate_norms;

    uint64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const Sums4 s = norms ? rows4<false>(query, candidates + i * dim, dim)
                              : rows4<true>(query, candidates + i * dim, dim);
        for (uint64_t l = 0; l < 4; ++l) {
            const uint64_t r = i + l;
            const float* c = candidates + r * dim;
            scores[r] = norms
                            ? finish(s.qc[l], norms[r], 1.0f, qn_f, query, qn_d, c, norms + r, dim)
                            : finish(s.qc[l], std::sqrt(s.cc[l]), s.cc[l], qn_f, query, qn_d, c,
                                     nullptr, dim);
        }
    }
    for (; i < n; ++i) {
        const float* c = candidates + i * dim;
        if (norms) {
            const Sums1 s = row1<false, false>(query, c, dim);
            scores[i] = finish(s.qc, norms[i], 1.0f, qn_f, query, qn_d, c, norms + i, dim);
        } else {
            const Sums1 s = row1<false, true>(query, c, dim);
            scores[i] = finish(s.qc, std::sqrt(s.cc), s.cc, qn_f, query, qn_d, c, nullptr, dim);
        }
    }
    return ENGRAM_OK;
}

}  // namespace engram::plugin::neon
