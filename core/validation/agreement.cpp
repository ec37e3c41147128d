#include "validation/agreement.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "oracle/tolerances.h"

namespace engram::validation {

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

template <class Ok>
std::optional<Disagreement> elementwise(const char* label, const float* a, const float* b,
                                        uint64_t n, Ok&& ok) {
    Disagreement d;
    for (uint64_t i = 0; i < n; ++i) {
        const bool same_nan = std::isnan(a[i]) && std::isnan(b[i]);
        if (same_nan || ok(i)) continue;
        if (d.count++ == 0) {
            d.first = i;
            d.control = a[i];
            d.candidate = b[i];
        }
    }
    if (d.count == 0) return std::nullopt;
    d.what = std::to_string(d.count) + " of " + std::to_string(n) + " " + label +
             " differ; first [" + std::to_string(d.first) + "]: serving " + num(d.control) +
             ", candidate " + num(d.candidate);
    return d;
}

std::vector<uint32_t> top_ids(const float* v, uint64_t n, uint32_t k) {
    std::vector<uint32_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0u);
    const uint64_t kk = std::min<uint64_t>(k, n);
    std::partial_sort(
        ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(kk), ids.end(),
        [&](uint32_t x, uint32_t y) { return v[x] > v[y] || (v[x] == v[y] && x < y); });
    ids.resize(kk);
    return ids;
}

}  // namespace

std::optional<Disagreement> agree_similarity(const float* a, const float* b, uint64_t n,
                                             uint32_t k) {
    const double tol = 2 * tolerance::kSimilarityAbs;
    if (auto d = elementwise("scores", a, b, n,
                             [&](uint64_t i) { return std::fabs(double(a[i]) - b[i]) <= tol; }))
        return d;
    if (k == 0 || n == 0) return std::nullopt;
    // Scores agree, so only ties at the cut can reorder the top k: an id in
    // one top-k but not the other must score within tol of the k-th.
    const auto ta = top_ids(a, n, k), tb = top_ids(b, n, k);
    const float kth = a[ta.back()];
    for (uint32_t id : tb)
        if (std::find(ta.begin(), ta.end(), id) == ta.end() &&
            std::fabs(double(a[id]) - kth) > tol) {
            Disagreement d{1, id, a[id], b[id], ""};
            d.what = "top-" + std::to_string(k) + " differs: candidate ranks id " +
                     std::to_string(id) + " that serving scores " + num(a[id]) + " (k-th " +
                     num(kth) + ")";
            return d;
        }
    return std::nullopt;
}

std::optional<Disagreement> agree_spread(const float* a, const float* b, uint64_t n) {
    double max_abs = 0;
    for (uint64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(double(a[i])));
    return elementwise("activations", a, b, n, [&](uint64_t i) {
        return std::fabs(double(a[i]) - b[i]) <=
               2 * (tolerance::kSpreadRel * std::fabs(double(a[i])) +
                    tolerance::kSpreadAbsOfMax * max_abs);
    });
}

std::optional<Disagreement> agree_decay(const float* a, const float* b, const float* strength,
                                        uint64_t n) {
    return elementwise("retentions", a, b, n, [&](uint64_t i) {
        return std::fabs(double(a[i]) - b[i]) <=
               2 * (tolerance::kDecayRel * std::fabs(double(a[i])) +
                    std::fabs(double(strength[i])) * FLT_MIN + tolerance::kFloatSubnormalUlp);
    });
}

}  // namespace engram::validation
