#include "spreading_case.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "format.h"
#include "oracle/tolerances.h"

namespace engram::difftest {

namespace {

constexpr uint64_t kSmallWork = uint64_t{1} << 17;  // edges x (iterations + 1)
constexpr uint64_t kLargeWork = uint64_t{1} << 22;

// A node index skewed towards 0 with exponent k: u^k for k > 1 makes low ids
// hubs (a power-law-like tail); k = 1 is uniform. Exact arithmetic only.
uint64_t skewed_node(Rng& rng, uint64_t n, int k) {
    double u = rng.unit(), p = u;
    for (int i = 1; i < k; ++i) p *= u;
    const uint64_t v = static_cast<uint64_t>(p * static_cast<double>(n));
    return v < n ? v : n - 1;
}

float draw_threshold(Rng& rng) {
    switch (rng.range(0, 5)) {
        case 0:
            return -1.0f;  // everything fires
        case 1:
            return 0.0f;  // zero sources sit on it
        case 2:
            return static_cast<float>(rng.pow2_uniform(-30, -8));  // tiny
        case 3:
            return static_cast<float>(rng.pow2_uniform(2, 4));  // above every seed: nothing fires
        default:
            return static_cast<float>(rng.pow2_uniform(-8, 0));  // among the activations
    }
}

}  // namespace

SpreadingCase make_spreading_graph(Rng& rng) {
    SpreadingCase c;
    c.params.iterations = static_cast<uint32_t>(rng.range(0, 10));
    const uint64_t r = rng.range(0, 99);
    c.params.decay = r < 10   ? 0.0f
                     : r < 20 ? 1.0f
                     : r < 25 ? 2.0f
                              : static_cast<float>(2.0 * rng.unit());
    c.params.threshold = draw_threshold(rng);

    c.n = rng.chance(0.03) ? 0 : rng.log_uniform(1, 100000);
    const double avg_deg = rng.chance(0.1) ? 0.0 : rng.pow2_uniform(-4, 4);  // up to ~32
    const uint64_t budget = rng.chance(0.01) ? kLargeWork : kSmallWork;
    uint64_t m = static_cast<uint64_t>(avg_deg * static_cast<double>(c.n));
    m = std::min<uint64_t>(m, budget / (c.params.iterations + 1));
    if (c.n == 0) m = 0;

    const int target_skew = static_cast<int>(rng.range(1, 5));
    const int source_skew = static_cast<int>(rng.range(1, 3));
    const double p_self = rng.chance(0.5) ? 0.0 : rng.pow2_uniform(-8, -3);
    const double p_dup = rng.chance(0.5) ? 0.0 : rng.pow2_uniform(-8, -3);
    const int weight_style = static_cast<int>(rng.range(0, 2));
    const int seed_style = static_cast<int>(rng.range(0, 3));

    // In-degrees: m targets drawn with a power-law-like skew; nodes drawing
    // none are isolated (no in-edges).
    std::vector<uint32_t> indeg(c.n, 0);
    for (uint64_t e = 0; e < m; ++e) ++indeg[skewed_node(rng, c.n, target_skew)];
    // A third of the graphs in degree order (descending in-degree, as
    // [store] reorder = "degree" leaves a store): long runs of nodes of one
    // in-degree, which the SIMD kernels sum on a path of their own.
    const bool by_degree = rng.chance(0.3);
    if (by_degree) std::sort(indeg.begin(), indeg.end(), std::greater<uint32_t>());

    c.offsets = OffsetBuffer<uint32_t>(c.n + 1, rng.range(0, 3));
    c.sources = OffsetBuffer<uint32_t>(m, rng.range(0, 3));
    c.weights = OffsetBuffer<float>(m, rng.range(0, 3));
    c.offsets[0] = 0;
    uint64_t j = 0;
    for (uint64_t i = 0; i < c.n; ++i) {
        for (uint32_t d = 0; d < indeg[i]; ++d, ++j) {
            uint32_t src;
            if (d > 0 && rng.chance(p_dup)) {
                src = c.sources[j - 1];  // a duplicate edge
                c.weights[j] = c.weights[j - 1];
                c.sources[j] = src;
                continue;
            }
            src = rng.chance(p_self) ? static_cast<uint32_t>(i)
                                     : static_cast<uint32_t>(skewed_node(rng, c.n, source_skew));
            c.sources[j] = src;
            float w;
            if (weight_style == 0)
                w = static_cast<float>(rng.unit());
            else if (weight_style == 1)
                w = static_cast<float>(rng.pow2_uniform(-12, 1));
            else
                w = 1.0f;
            if (rng.chance(0.02)) w = 0.0f;
            c.weights[j] = w;
        }
        c.offsets[i + 1] = static_cast<uint32_t>(j);
    }

    c.seeds = OffsetBuffer<float>(c.n, rng.range(0, 3));
    const uint64_t n_sparse = c.n ? rng.log_uniform(1, std::min<uint64_t>(c.n, 64)) : 0;
    for (uint64_t i = 0; i < c.n; ++i) {
        switch (seed_style) {
            case 0:
                c.seeds[i] = 0.0f;
                break;  // sparse, set below
            case 1:
                c.seeds[i] = static_cast<float>(rng.unit());
                break;  // dense in [0, 1)
            case 2:
                c.seeds[i] = static_cast<float>(4.0 * rng.unit());
                break;  // above 1: normalised
            default:
                c.seeds[i] =
                    static_cast<float>(rng.pow2_uniform(-30, 0));  // all positive, many decades
        }
    }
    if (seed_style == 0)
        for (uint64_t k = 0; k < n_sparse; ++k)
            c.seeds[rng.range(0, c.n - 1)] = static_cast<float>(rng.chance(0.5) ? 1.0 : rng.unit());
    c.activation_offset = rng.range(0, 3);
    c.style = "target_skew=" + std::to_string(target_skew) +
              " source_skew=" + std::to_string(source_skew) + " p_self=" + g(p_self) +
              " p_dup=" + g(p_dup) + " weights=" + std::to_string(weight_style) +
              " seeds=" + std::to_string(seed_style) + (by_degree ? " degree_ordered" : "");
    return c;
}

VettedSpreading make_spreading_case(Rng& rng) {
    VettedSpreading v{make_spreading_graph(rng), {}, 0};
    SpreadingCase& c = v.c;
    for (;;) {
        v.want = oracle::spread(c.offsets.data(), c.sources.data(), c.weights.data(), c.n, c.params,
                                c.seeds.data());
        if (v.want.status != ENGRAM_OK ||
            v.want.threshold_margin >= tolerance::kSpreadMinThresholdMargin)
            return v;
        ++v.regenerated;
        c.params.threshold = v.regenerated < kMaxThresholdRedraws ? draw_threshold(rng) : -1.0f;
    }
}

std::string SpreadingCase::describe() const {
    return "n=" + std::to_string(n) + " edges=" + std::to_string(edges()) +
           " iterations=" + std::to_string(params.iterations) + " decay=" + g(params.decay) +
           " threshold=" + g(params.threshold) +
           " offsets(o,s,w,act)=" + std::to_string(offsets.offset()) + "," +
           std::to_string(sources.offset()) + "," + std::to_string(weights.offset()) + "," +
           std::to_string(activation_offset) + " " + style;
}

}  // namespace engram::difftest
