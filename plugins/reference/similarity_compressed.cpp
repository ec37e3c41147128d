// ABI 1.1: similarity against compressed stored embeddings (bf16, int8),
// scalar. Each row is decoded exactly (bf16 -> float is exact; an int8 row's
// scale is applied to the double dot product, not to each element) and
// accumulated in double, like the float kernel beside it.
#include <cmath>
#include <cstring>

#include "kernels.h"

namespace engram_reference {

namespace {

float cosine(double dot, double qn, double cn) {
    if (!(qn > 0.0) || !std::isfinite(qn) || !(cn > 0.0) || !std::isfinite(cn)) return 0.0f;
    double s = dot / (qn * cn);
    if (!std::isfinite(s)) return 0.0f;
    if (s > 1.0) s = 1.0;
    if (s < -1.0) s = -1.0;
    return static_cast<float>(s);
}

inline float bf16_to_float(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

double query_norm(const float* query, uint64_t dim) {
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += static_cast<double>(query[k]) * query[k];
    return std::sqrt(qq);
}

}  // namespace

engram_status similarity_bf16(const float* query, const uint16_t* candidates,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    const double qn = query_norm(query, dim);
    for (uint64_t i = 0; i < n; ++i) {
        const uint16_t* c = candidates + i * dim;
        double dot = 0.0, cc = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            const double v = bf16_to_float(c[k]);
            dot += static_cast<double>(query[k]) * v;
            cc += v * v;
        }
        scores[i] = cosine(dot, qn, candidate_norms ? candidate_norms[i] : std::sqrt(cc));
    }
    return ENGRAM_OK;
}

engram_status similarity_int8(const float* query, const int8_t* candidates, const float* scales,
                              const float* candidate_norms, uint64_t n, uint64_t dim, float* scores,
                              void*, uint64_t) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scales || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    const double qn = query_norm(query, dim);
    for (uint64_t i = 0; i < n; ++i) {
        const int8_t* c = candidates + i * dim;
        double dot = 0.0, cc = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            const double v = c[k];
            dot += static_cast<double>(query[k]) * v;
            cc += v * v;
        }
        const double s = scales[i];
        scores[i] = cosine(dot * s, qn, candidate_norms ? candidate_norms[i] : std::sqrt(cc) * s);
    }
    return ENGRAM_OK;
}

}  // namespace engram_reference
