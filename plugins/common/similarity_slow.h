// The slow, exact path of every SIMD similarity kernel. The vector kernels
// accumulate in float, which is accurate only while every product and partial
// sum stays in float's normal range; a row outside it (huge or subnormal
// values, NaN/Inf, zero norms) is recomputed here in double, like the oracle.
// Never hot: ordinary embeddings do not reach it.
#pragma once

#include <cmath>
#include <cstdint>

namespace engram::plugin {

// Thresholds of the float fast path. A float sum of squares or a norm product
// inside [kFastLo, kFastHi] cannot have overflowed, and the absolute error of
// subnormal products (<= dim * 2^-150) is < 1e-11 relative to it.
inline constexpr float kFastLo = 1e-30f;
inline constexpr float kFastHi = 1e37f;

// Cosine from double parts: 0 for a zero or non-finite norm or quotient, else
// clamped to [-1, 1]. Same rule as the reference backend.
inline float cosine_from_double(double dot, double qn, double cn) {
    if (!(qn > 0.0) || !std::isfinite(qn) || !(cn > 0.0) || !std::isfinite(cn)) return 0.0f;
    double s = dot / (qn * cn);
    if (!std::isfinite(s)) return 0.0f;
    if (s > 1.0) s = 1.0;
    if (s < -1.0) s = -1.0;
    return static_cast<float>(s);
}

inline double norm_double(const float* v, uint64_t dim) {
    double s = 0.0;
    for (uint64_t k = 0; k < dim; ++k) s += static_cast<double>(v[k]) * v[k];
    return std::sqrt(s);
}

// One row in double. norm: the caller's |c| or nullptr to compute it.
inline float cosine_row_double(const float* q, double qn, const float* c, const float* norm,
                               uint64_t dim) {
    double cn = norm ? static_cast<double>(*norm) : norm_double(c, dim);
    if (!(cn > 0.0) || !std::isfinite(cn) || !(qn > 0.0) || !std::isfinite(qn)) return 0.0f;
    double dot = 0.0;
    for (uint64_t k = 0; k < dim; ++k) dot += static_cast<double>(q[k]) * c[k];
    return cosine_from_double(dot, qn, cn);
}

}  // namespace engram::plugin
