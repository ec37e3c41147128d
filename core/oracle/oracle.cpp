#include "oracle/oracle.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace engram::oracle {

namespace {

// The cosine of the contract from double parts.
double cosine(double dot, double qn, double cn) {
    double s = 0.0;
    if (qn > 0.0 && std::isfinite(qn) && cn > 0.0 && std::isfinite(cn)) {
        s = dot / (qn * cn);
        if (!std::isfinite(s)) s = 0.0;
        s = std::clamp(s, -1.0, 1.0);
    }
    return s;
}

template <class Decode>
std::vector<double> similarity_decoded(const float* query, uint64_t n, uint64_t dim,
                                       Decode&& decode) {
    std::vector<double> out(n, 0.0);
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += double(query[k]) * double(query[k]);
    const double qn = std::sqrt(qq);
    for (uint64_t i = 0; i < n; ++i) {
        double dot = 0.0, cc = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            const double c = decode(i, k);
            dot += double(query[k]) * c;
            cc += c * c;
        }
        out[i] = cosine(dot, qn, std::sqrt(cc));
    }
    return out;
}

}  // namespace

std::vector<double> similarity_bf16(const float* query, const uint16_t* candidates, uint64_t n,
                                    uint64_t dim) {
    return similarity_decoded(query, n, dim, [&](uint64_t i, uint64_t k) {
        const uint32_t bits = static_cast<uint32_t>(candidates[i * dim + k]) << 16;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return double(f);
    });
}

std::vector<double> similarity_int8(const float* query, const int8_t* candidates,
                                    const float* scales, uint64_t n, uint64_t dim) {
    return similarity_decoded(query, n, dim, [&](uint64_t i, uint64_t k) {
        return double(scales[i]) * double(candidates[i * dim + k]);  // exact in double
    });
}

std::vector<double> similarity(const float* query, const float* candidates, uint64_t n,
                               uint64_t dim) {
    std::vector<double> out(n, 0.0);
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += double(query[k]) * double(query[k]);
    const double qn = std::sqrt(qq);
    for (uint64_t i = 0; i < n; ++i) {
        const float* c = candidates + i * dim;
        double dot = 0.0, cc = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            dot += double(query[k]) * double(c[k]);
            cc += double(c[k]) * double(c[k]);
        }
        const double cn = std::sqrt(cc);
        double s = 0.0;
        if (qn > 0.0 && std::isfinite(qn) && cn > 0.0 && std::isfinite(cn)) {
            s = dot / (qn * cn);
            if (!std::isfinite(s)) s = 0.0;
            s = std::clamp(s, -1.0, 1.0);
        }
        out[i] = s;
    }
    return out;
}

SpreadResult spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                    uint64_t n_nodes, const engram_spread_params& params,
                    const float* initial_activation) {
    SpreadResult r;
    for (uint64_t i = 0; i < n_nodes; ++i) {
        if (offsets[i + 1] < offsets[i]) {
            r.status = ENGRAM_E_OUT_OF_RANGE;
            return r;
        }
    }
    const uint64_t m = n_nodes ? offsets[n_nodes] : 0;
    if (n_nodes && offsets[0] != 0) {
        r.status = ENGRAM_E_OUT_OF_RANGE;
        return r;
    }
    for (uint64_t j = 0; j < m; ++j) {
        if (sources[j] >= n_nodes) {
            r.status = ENGRAM_E_OUT_OF_RANGE;
            return r;
        }
    }
    std::vector<double> act(initial_activation, initial_activation + n_nodes), next(n_nodes);
    const double threshold = params.threshold;
    const double margin_scale = std::max(std::fabs(threshold), 1e-30);
    double margin = std::numeric_limits<double>::infinity();
    for (uint32_t it = 0; it < params.iterations; ++it) {
        for (uint64_t i = 0; i < n_nodes; ++i) {
            double sum = 0.0;
            for (uint32_t j = offsets[i]; j < offsets[i + 1]; ++j) {
                const double a = act[sources[j]];
                margin = std::min(margin, std::fabs(a - threshold) / margin_scale);
                if (a >= threshold) sum += double(weights[j]) * a;
            }
            next[i] = act[i] + double(params.decay) * sum;
        }
        double mx = 0.0;
        for (double v : next) mx = std::max(mx, v);
        if (mx > 1.0)
            for (double& v : next) v /= mx;
        act.swap(next);
    }
    r.activation = std::move(act);
    r.threshold_margin = margin;
    return r;
}

std::vector<double> decay(const float* strength, const float* age_seconds, const float* stability,
                          float stability_scalar, uint64_t n) {
    std::vector<double> out(n);
    for (uint64_t i = 0; i < n; ++i) {
        // max() would turn a NaN age into 0; keep it NaN so the result is 0.
        const double age = age_seconds[i] < 0.0f ? 0.0 : double(age_seconds[i]);
        const double s = stability ? double(stability[i]) : double(stability_scalar);
        const double v = double(strength[i]) * std::exp(-age / s);
        out[i] = std::isfinite(v) ? v : 0.0;  // contract: NaN/Inf never escape
    }
    return out;
}

}  // namespace engram::oracle
