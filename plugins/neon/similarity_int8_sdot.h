// ABI 1.1 int8 similarity on the AArch64 dot-product extension (SDOT,
// vdotq_s32): the neon_dotprod build of this backend (ENGRAM_NEON_DOTPROD,
// plugins/neon/CMakeLists.txt). The float query is split into three or four
// int8 limbs (common/query_limbs.h: residual below 1e-6 of |q|, so the
// contract's 1e-5 tolerance holds although SDOT only multiplies bytes); per
// 16 codes the kernel does one SDOT per limb, all in exact int32 sums, and
// combines the limbs once per row in double. SDOT multiplies signed by signed
// bytes, so unlike x86's vpdpbusd the stored codes need no offset: the row's
// own sum of squares (NULL norms) is one more SDOT of the codes by themselves.
//
// Overflow: a code times a limb is at most 128 * 127 (a code times itself
// 128 * 128); a lane adds four products per SDOT and one SDOT per 16 codes,
// so dim / 4 products, at most 1024 * 16384 < 2^31 at kLimbMaxDim = 4096.
// Larger dims and a query the limbs cannot represent keep the float walk
// (the caller's): the choice depends only on the query and dim, never on the
// rows or the range, so split ranges stay bit-identical.
//
// Speed: unmeasured. This machine has no AArch64 CPU; the kernel's
// correctness is proven under qemu-aarch64 (whose default CPU reports
// asimddp), by the differential tests against the double oracle.
#pragma once

#include <arm_neon.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../common/prefetch_far.h"
#include "../common/query_limbs.h"
#include "../common/similarity_slow.h"

namespace engram::plugin::neon {

using SdotLimbs = QueryLimbs<int8_t, 4>;

// d[j] = sum(code * limb_j) and, with kCC, cc = sum(code^2).
template <int kLimbs, bool kCC>
[[gnu::always_inline]] inline void sdot_row(const SdotLimbs& L, const int8_t* c, uint64_t dim,
                                            int64_t d[kLimbs], int64_t& cc) {
    static_assert(kLimbs == 3 || kLimbs == 4);
    // Two accumulator sets (even and odd 16-code chunks), so consecutive
    // SDOTs into one register do not wait on each other.
    struct Acc {
        int32x4_t a0, a1, a2, a3, cc;
    };
    const int32x4_t z = vdupq_n_s32(0);
    Acc e{z, z, z, z, z}, o = e;
    auto step = [&](Acc& a, int8x16_t x, uint64_t k) {
        a.a0 = vdotq_s32(a.a0, x, vld1q_s8(L.limb[0] + k));
        a.a1 = vdotq_s32(a.a1, x, vld1q_s8(L.limb[1] + k));
        a.a2 = vdotq_s32(a.a2, x, vld1q_s8(L.limb[2] + k));
        if constexpr (kLimbs == 4) a.a3 = vdotq_s32(a.a3, x, vld1q_s8(L.limb[3] + k));
        if constexpr (kCC) a.cc = vdotq_s32(a.cc, x, x);
    };
    uint64_t k = 0;
    for (; k + 64 <= dim; k += 64) {  // one cache line per iteration
        prefetch_far(c, k);
        step(e, vld1q_s8(c + k), k);
        step(o, vld1q_s8(c + k + 16), k + 16);
        step(e, vld1q_s8(c + k + 32), k + 32);
        step(o, vld1q_s8(c + k + 48), k + 48);
    }
    for (; k + 16 <= dim; k += 16) step(e, vld1q_s8(c + k), k);
    if (k < dim) {
        // The limbs are zero past dim (padded to 16); the tail's codes are
        // zeroed too, for the sum of squares.
        int8_t tail[16] = {};
        std::memcpy(tail, c + k, dim - k);
        step(o, vld1q_s8(tail), k);
    }
    // Lane sums of both sets stay far inside int32 (see the top).
    d[0] = vaddvq_s32(vaddq_s32(e.a0, o.a0));
    d[1] = vaddvq_s32(vaddq_s32(e.a1, o.a1));
    d[2] = vaddvq_s32(vaddq_s32(e.a2, o.a2));
    if constexpr (kLimbs == 4) d[3] = vaddvq_s32(vaddq_s32(e.a3, o.a3));
    if constexpr (kCC) cc = vaddvq_s32(vaddq_s32(e.cc, o.cc));
}

template <int kLimbs, bool kCC>
void sdot_rows(const SdotLimbs& L, double qn, const int8_t* candidates, const float* scales,
               const float* norms, uint64_t n, uint64_t dim, float* scores) {
    for (uint64_t i = 0; i < n; ++i) {
        int64_t d[kLimbs];
        int64_t cc = 0;
        sdot_row<kLimbs, kCC>(L, candidates + i * dim, dim, d, cc);
        double dot = 0.0;
        for (int j = kLimbs - 1; j >= 0; --j) dot += L.scale[j] * double(d[j]);
        const double s = scales[i];
        const double cn = kCC ? std::sqrt(double(cc)) * s : double(norms[i]);
        scores[i] = cosine_from_double(dot * s, qn, cn);
    }
}

// The whole int8 entry on this path; false (nothing written) when the float
// walk must serve the call: a bad argument (it returns the error), a query
// outside the fast range, dim above kLimbMaxDim, limbs that miss
// kLimbMaxResidual.
inline bool similarity_int8_sdot(const float* query, const int8_t* candidates, const float* scales,
                                 const float* norms, uint64_t n, uint64_t dim, float* scores) {
    double qn = 0.0;
    if (!limb_path_applies(query, candidates, scales, n, dim, scores, qn)) return false;
    SdotLimbs L;
    if (!make_limbs<3, 16>(query, dim, qn, L)) return false;
    if (L.count == 3) {
        if (norms)
            sdot_rows<3, false>(L, qn, candidates, scales, norms, n, dim, scores);
        else
            sdot_rows<3, true>(L, qn, candidates, scales, norms, n, dim, scores);
    } else {
        if (norms)
            sdot_rows<4, false>(L, qn, candidates, scales, norms, n, dim, scores);
        else
            sdot_rows<4, true>(L, qn, candidates, scales, norms, n, dim, scores);
    }
    return true;
}

}  // namespace engram::plugin::neon
