// How close a float backend must come to the double oracle. These numbers are
// the contract stated in docs/internal/kernels.md; change both together.
#pragma once

#include <cfloat>
#include <cmath>

namespace engram::tolerance {

// similarity: absolute, on scores in [-1, 1].
inline constexpr double kSimilarityAbs = 1e-5;
// decay: relative to the exact result, plus an absolute floor of
// strength * FLT_MIN for results in float's subnormal range, where a backend
// may flush to zero, plus one subnormal ulp (2^-149): no float result can be
// closer than half of that to an exact value, so below ~2^-24 strength a
// relative bound alone is unmeetable even when correctly rounded.
inline constexpr double kDecayRel = 2e-6;
inline constexpr double kFloatSubnormalUlp = 1.401298464324817e-45;  // 2^-149
// spreading: relative per node after up to 10 iterations, plus an absolute
// floor of 1e-7 x the largest activation (for nodes whose activation is tiny
// next to the normalised maximum of ~1).
inline constexpr double kSpreadRel = 1e-5;
inline constexpr double kSpreadAbsOfMax = 1e-7;
// A spreading case whose threshold margin (see oracle::SpreadResult) is below
// this is too close to the discontinuity to demand agreement.
inline constexpr double kSpreadMinThresholdMargin = 1e-4;

inline bool similarity_ok(double got, double want) {
    return std::isfinite(got) && std::fabs(got - want) <= kSimilarityAbs;
}
inline bool decay_ok(double got, double want, double strength) {
    return std::isfinite(got) && std::fabs(got - want) <= kDecayRel * std::fabs(want) +
                                                              std::fabs(strength) * FLT_MIN +
                                                              kFloatSubnormalUlp;
}
inline bool spread_ok(double got, double want, double max_abs) {
    return std::isfinite(got) &&
           std::fabs(got - want) <= kSpreadRel * std::fabs(want) + kSpreadAbsOfMax * max_abs;
}

}  // namespace engram::tolerance
