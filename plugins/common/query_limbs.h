// The float query as a short sum of integer "limbs", so that int8 similarity
// can run on integer dot-product instructions and still meet the contract's
// 1e-5 tolerance (docs/internal/kernels.md, "Compressed embeddings").
//
// Why not simply quantise the query: one int8 copy of the float query is off
// by up to 1/254 of its largest element, far beyond the tolerance. Instead
//   q ~= S0*l0 + S1*l1 + ...,  S0 = max|q| / M,  S_{j+1} = S_j / (2M),
// with M the limb type's largest value (127 for int8, 32767 for int16): each
// limb rounds the previous residual, which is at most S_j / 2, so it fits in
// [-M, M], and the residual shrinks by 2M per limb. The score error is then
// at most |residual| / |q| (the angle between q and its limb sum; cosine is
// 1-Lipschitz in the angle) plus the kernel's final double rounding: the
// limb sums over the codes are exact integers, combined once per row in
// double. make_limbs takes the smallest count from kMinLimbs up that keeps
// |residual| <= kMaxResidual * |q|, on the actual query.
//
// Each limb is padded with zeros to a multiple of kPad elements, so a kernel
// may read whole vectors past dim. Per call the cost is O(dim * limbs); the
// choice (limb count, or false: not representable) depends only on the query
// and dim, never on the rows or the range, so split ranges stay bit-identical.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "similarity_slow.h"

namespace engram::plugin {

// Of |q|: a tenth of the oracle tolerance, the rest left to the kernel.
inline constexpr double kLimbMaxResidual = 1e-6;
// Limb buffers live on the caller's stack; larger dims keep the float walk.
inline constexpr uint64_t kLimbMaxDim = 4096;

template <class T, int kMaxLimbs>
struct QueryLimbs {
    static constexpr int kMax = kMaxLimbs;
    alignas(64) T limb[kMaxLimbs][kLimbMaxDim];
    double scale[kMaxLimbs];
    int64_t sum[kMaxLimbs];  // sum of each limb's elements (for offset corrections)
    int count = 0;
    uint64_t padded = 0;  // dim rounded up to kPad
};

// false when dim is 0 or above kLimbMaxDim, the query has no finite nonzero
// largest element, or kMaxLimbs limbs cannot meet kLimbMaxResidual.
template <int kMinLimbs, uint64_t kPad, class T, int kMaxLimbs>
bool make_limbs(const float* query, uint64_t dim, double qn, QueryLimbs<T, kMaxLimbs>& L) {
    static_assert(kLimbMaxDim % kPad == 0 && kMinLimbs >= 1 && kMinLimbs <= kMaxLimbs);
    constexpr double M = std::numeric_limits<T>::max();
    if (dim == 0 || dim > kLimbMaxDim) return false;
    double m = 0.0;
    for (uint64_t k = 0; k < dim; ++k) m = std::fmax(m, std::fabs(static_cast<double>(query[k])));
    if (!(m > 0.0) || !std::isfinite(m) || !(qn > 0.0)) return false;
    L.padded = (dim + kPad - 1) / kPad * kPad;
    double r[kLimbMaxDim];
    for (uint64_t k = 0; k < dim; ++k) r[k] = query[k];
    double s = m / M;
    for (int j = 0; j < kMaxLimbs; ++j) {
        int64_t sum = 0;
        double rr = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            double v = std::nearbyint(r[k] / s);
            v = v > M ? M : (v < -M ? -M : v);
            L.limb[j][k] = static_cast<T>(v);
            sum += static_cast<int64_t>(v);
            r[k] -= v * s;
            rr += r[k] * r[k];
        }
        std::memset(L.limb[j] + dim, 0, (L.padded - dim) * sizeof(T));
        L.scale[j] = s;
        L.sum[j] = sum;
        s /= 2.0 * M;
        if (j + 1 >= kMinLimbs && std::sqrt(rr) <= kLimbMaxResidual * qn) {
            L.count = j + 1;
            return true;
        }
    }
    return false;
}

// The checks every int8 limb path starts with: the arguments it needs (a bad
// one is left to the float walk, which returns the error), n > 0, dim in
// 1..kLimbMaxDim, and a query whose squared norm is in the fast range.
// Writes |q| (from a double sum) to qn.
inline bool limb_path_applies(const float* query, const int8_t* candidates, const float* scales,
                              uint64_t n, uint64_t dim, const float* scores, double& qn) {
    if (dim == 0 || dim > kLimbMaxDim || n == 0 || !query || !candidates || !scales || !scores)
        return false;
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += static_cast<double>(query[k]) * query[k];
    if (!(qq >= kFastLo && qq <= kFastHi)) return false;
    qn = std::sqrt(qq);
    return true;
}

}  // namespace engram::plugin
