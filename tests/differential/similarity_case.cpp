#include "similarity_case.h"

#include <cfloat>
#include <cmath>
#include <limits>

#include "format.h"

namespace engram::difftest {

namespace {

// Dimensions that end exactly on, just before and just after SIMD widths.
constexpr uint64_t kEdgeDims[] = {1,   2,   3,   4,   5,   7,   8,    9,    15,   16,   17,   31,
                                  32,  33,  47,  48,  63,  64,  65,   127,  128,  129,  255,  256,
                                  257, 383, 384, 767, 768, 769, 1023, 1024, 1025, 1536, 4095, 4096};

// Most cases stay small so 10,000 of them are affordable; 1 in 100 may be
// up to 64x bigger (n = 100,000 at small dim, or dim 4096 with 1,000 rows).
constexpr uint64_t kSmallWork = uint64_t{1} << 16;
constexpr uint64_t kLargeWork = uint64_t{1} << 22;

struct ValueStyle {
    int scale_exp = 0;       // values are ~2^scale_exp
    int base = 0;            // 0 gauss, 1 uniform [-1, 1], 2 uniform [0, 1]
    double p_special = 0;    // chance an element is special
    bool nonfinite = false;  // specials include NaN and +-Inf
};

float special_value(Rng& rng, bool nonfinite) {
    switch (rng.range(0, nonfinite ? 6 : 3)) {
        case 0:
            return 0.0f;
        case 1:
            return -0.0f;
        case 2:
            return static_cast<float>((rng.chance(0.5) ? 1 : -1) * rng.pow2_uniform(-149, -127));
        case 3:
            return rng.chance(0.5) ? 1e15f : -1e15f;
        case 4:
            return std::numeric_limits<float>::quiet_NaN();
        case 5:
            return std::numeric_limits<float>::infinity();
        default:
            return -std::numeric_limits<float>::infinity();
    }
}

float draw(Rng& rng, const ValueStyle& s) {
    if (s.p_special > 0 && rng.chance(s.p_special)) return special_value(rng, s.nonfinite);
    double v = s.base == 0 ? rng.gauss() : s.base == 1 ? 2.0 * rng.unit() - 1.0 : rng.unit();
    return static_cast<float>(std::ldexp(v, s.scale_exp));
}

void fill_row(Rng& rng, const ValueStyle& s, const float* query, float* row, uint64_t dim,
              bool is_query) {
    const uint64_t kind = rng.range(0, 99);
    if (kind < 4) {  // all zero: norm 0, score 0
        for (uint64_t k = 0; k < dim; ++k) row[k] = 0.0f;
    } else if (kind < 6) {  // all denormal: the float squares underflow
        for (uint64_t k = 0; k < dim; ++k)
            row[k] = static_cast<float>((rng.chance(0.5) ? 1 : -1) * rng.pow2_uniform(-149, -127));
    } else if (!is_query && kind < 12) {  // exactly (anti-)parallel: the clamp at +-1
        const double a = (kind < 9 ? 1 : -1) * std::ldexp(1.0, static_cast<int>(rng.irange(-4, 4)));
        for (uint64_t k = 0; k < dim; ++k) row[k] = static_cast<float>(a * query[k]);
    } else if (!is_query && kind < 16) {  // nearly parallel: scores just inside +-1
        const double noise = std::ldexp(1.0, static_cast<int>(rng.irange(-24, -6)));
        for (uint64_t k = 0; k < dim; ++k) {
            const double q = std::isfinite(query[k]) ? query[k] : 0.0;
            row[k] = static_cast<float>(q * (1.0 + noise * rng.gauss()));
        }
    } else {
        for (uint64_t k = 0; k < dim; ++k) row[k] = draw(rng, s);
    }
}

double row_norm(const float* row, uint64_t dim) {
    double cc = 0;
    for (uint64_t k = 0; k < dim; ++k) cc += double(row[k]) * double(row[k]);
    return std::sqrt(cc);
}

}  // namespace

SimilarityCase make_similarity_case(Rng& rng) {
    SimilarityCase c;
    c.dim = rng.chance(0.25) ? kEdgeDims[rng.range(0, std::size(kEdgeDims) - 1)]
                             : rng.log_uniform(1, 4096);
    const bool large = rng.chance(0.01);
    const uint64_t budget = large ? kLargeWork : kSmallWork;
    if (rng.chance(0.03)) {
        c.n = 0;
    } else {
        c.n = rng.log_uniform(1, 100000);
        if (c.n * c.dim > budget) c.n = std::max<uint64_t>(1, budget / c.dim);
    }

    ValueStyle s;
    s.scale_exp = static_cast<int>(rng.chance(0.5) ? 0 : rng.irange(-30, 48));  // up to ~3e14
    s.base = static_cast<int>(rng.range(0, 2));
    if (rng.chance(0.4)) s.p_special = std::ldexp(1.0, static_cast<int>(rng.irange(-14, -2)));
    s.nonfinite = rng.chance(0.3);
    c.style = "scale=2^" + std::to_string(s.scale_exp) + " base=" +
              (s.base == 0   ? "gauss"
               : s.base == 1 ? "uniform"
                             : "positive") +
              " p_special=" + g(s.p_special) + (s.nonfinite ? " nonfinite" : "");

    c.with_norms = rng.chance(0.5);
    c.query = OffsetBuffer<float>(c.dim, rng.range(0, 3));
    c.candidates = OffsetBuffer<float>(c.n * c.dim, rng.range(0, 3));
    fill_row(rng, s, nullptr, c.query.data(), c.dim, true);
    for (uint64_t i = 0; i < c.n; ++i)
        fill_row(rng, s, c.query.data(), c.candidates.data() + i * c.dim, c.dim, false);

    c.norms = OffsetBuffer<float>(c.with_norms ? c.n : 0, rng.range(0, 3));
    if (c.with_norms) {
        for (uint64_t i = 0; i < c.n; ++i) {
            float* row = c.candidates.data() + i * c.dim;
            double norm = row_norm(row, c.dim);
            if (norm > 0 && norm < FLT_MIN) {
                // A subnormal float norm keeps only a few significant bits, so
                // a kernel trusting it (as the contract says) cannot be within
                // 1e-5. A store that kept it has already lost; the contract's
                // promise starts at normal norms. Scaling the row by 2^64 is
                // exact and keeps its direction (and its cosine).
                for (uint64_t k = 0; k < c.dim; ++k) row[k] = std::ldexp(row[k], 64);
                norm = row_norm(row, c.dim);
            }
            c.norms[i] = static_cast<float>(norm);
        }
    }
    c.scores_offset = rng.range(0, 3);
    return c;
}

std::string SimilarityCase::describe() const {
    return "n=" + std::to_string(n) + " dim=" + std::to_string(dim) +
           " norms=" + (with_norms ? "supplied" : "null") +
           " offsets(q,c,norms,scores)=" + std::to_string(query.offset()) + "," +
           std::to_string(candidates.offset()) + "," + std::to_string(norms.offset()) + "," +
           std::to_string(scores_offset) + " " + style;
}

}  // namespace engram::difftest
