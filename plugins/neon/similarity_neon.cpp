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

#include "../common/similarity_driver.h"
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

struct Isa {
    using Sums1 = neon::Sums1;
    template <bool kQQ, bool kCC>
    static Sums1 row1(const float* q, const float* c, uint64_t dim) {
        return neon::row1<kQQ, kCC>(q, c, dim);
    }
    static float sum_squares(const float* v, uint64_t dim) { return neon::sum_squares(v, dim); }
    template <bool kCC>
    static void block4(const float* q, double qn_d, float qn_f, const float* candidates,
                       const float* norms, uint64_t i, uint64_t n, uint64_t dim, float* scores) {
        (void)n;
        const Sums4 s = rows4<kCC>(q, candidates + i * dim, dim);
        for (uint64_t l = 0; l < 4; ++l) {
            const uint64_t r = i + l;
            const float* c = candidates + r * dim;
            scores[r] =
                kCC ? finish1(s.qc[l], std::sqrt(s.cc[l]), s.cc[l], qn_f, q, qn_d, c, nullptr, dim)
                    : finish1(s.qc[l], norms[r], 1.0f, qn_f, q, qn_d, c, norms + r, dim);
        }
    }
};

}  // namespace

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void*, uint64_t) {
    return similarity_kernel<Isa>(query, candidates, candidate_norms, n, dim, scores);
}

}  // namespace engram::plugin::neon
