#include <cmath>

#include "kernels.h"

namespace engram_reference {

namespace {
// Cosine of one pair given both norms; 0 for a zero or non-finite norm, and
// for a non-finite quotient, so NaN never escapes.
float cosine(double dot, double qn, double cn) {
    if (!(qn > 0.0) || !std::isfinite(qn) || !(cn > 0.0) || !std::isfinite(cn)) return 0.0f;
    double s = dot / (qn * cn);
    if (!std::isfinite(s)) return 0.0f;
    if (s > 1.0) s = 1.0;
    if (s < -1.0) s = -1.0;
    return static_cast<float>(s);
}
}  // namespace

engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void*, uint64_t) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += static_cast<double>(query[k]) * query[k];
    const double qn = std::sqrt(qq);
    for (uint64_t i = 0; i < n; ++i) {
        const float* c = candidates + i * dim;
        double dot = 0.0;
        for (uint64_t k = 0; k < dim; ++k) dot += static_cast<double>(query[k]) * c[k];
        double cn;
        if (candidate_norms) {
            cn = candidate_norms[i];
        } else {
            double cc = 0.0;
            for (uint64_t k = 0; k < dim; ++k) cc += static_cast<double>(c[k]) * c[k];
            cn = std::sqrt(cc);
        }
        scores[i] = cosine(dot, qn, cn);
    }
    return ENGRAM_OK;
}

}  // namespace engram_reference
