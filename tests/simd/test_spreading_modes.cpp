// The avx2/avx512 spreading kernel runs an iteration in one of two modes
// (plugins/avx2/spreading_avx2_impl.h): quiet, which skips the sums of the
// groups of eight nodes none of whose in-edges fired, and plain, which sums
// every group. Which one runs depends on how many groups the previous
// iteration skipped, so the two must give the same bits: this test runs both
// on the same input and compares next[] and the maximum bit for bit, on
// graphs where few or most sources fire, in file and degree order, with hubs
// longer than a block, NaN, -0 and negative activations, and decay 0,
// negative and inf.
// The quiet mode's counts of groups and skipped groups (which pick the next
// iteration's mode) are checked where the answer is known.
// The differential tests hold both modes to the oracle; this one holds them
// to each other, which the oracle's tolerance could not.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "spreading_modes.h"

namespace {

struct Graph {
    uint64_t n = 0;
    std::vector<uint32_t> offsets, sources;
    std::vector<float> weights;
};

// In-degrees mostly 0-4 (a sparse real graph), some 5-40, and `hubs` nodes
// of 5000 in-edges (more than the kernel's 4096-edge block).
Graph make_graph(std::mt19937_64& rng, uint64_t n, bool by_degree, int hubs) {
    static const uint32_t kDegrees[] = {0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 8, 17, 40};
    std::uniform_int_distribution<size_t> pick(0, std::size(kDegrees) - 1);
    std::vector<uint32_t> deg(n);
    for (auto& d : deg) d = kDegrees[pick(rng)];
    for (int h = 0; h < hubs; ++h) deg[rng() % n] = 5000;
    if (by_degree) std::sort(deg.begin(), deg.end(), std::greater<uint32_t>());
    Graph g;
    g.n = n;
    g.offsets.assign(n + 1, 0);
    for (uint64_t i = 0; i < n; ++i) g.offsets[i + 1] = g.offsets[i] + deg[i];
    std::uniform_real_distribution<float> w(0.05f, 1.0f);
    for (uint32_t j = 0; j < g.offsets[n]; ++j) {
        g.sources.push_back(static_cast<uint32_t>(rng() % n));
        g.weights.push_back(j % 97 == 0 ? 0.0f : w(rng));  // some zero weights
    }
    return g;
}

// fire_share of the nodes at or above 0.01, the rest below it (zeros, tiny,
// -0 and negative values), a few NaN.
std::vector<float> make_activations(std::mt19937_64& rng, uint64_t n, double fire_share) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> a(n);
    for (auto& v : a) {
        const double r = u(rng);
        if (r < fire_share)
            v = static_cast<float>(0.01 + u(rng));
        else if (r < fire_share + 0.01)
            v = -0.0f;
        else if (r < fire_share + 0.02)
            v = static_cast<float>(-u(rng));
        else if (r < fire_share + 0.021)
            v = std::numeric_limits<float>::quiet_NaN();
        else
            v = r < 0.5 ? 0.0f : static_cast<float>(0.009 * u(rng));
    }
    return a;
}

bool avx2_cpu() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

}  // namespace

TEST_CASE("spreading: quiet and plain iterations give the same bits", "[simd][spreading]") {
    if (!avx2_cpu()) {
        WARN("CPU without AVX2+FMA: the avx2/avx512 spreading kernel is not tested here");
        return;
    }
    std::mt19937_64 rng(20261205);
    int cases = 0;
    for (const uint64_t n : {1ull, 7ull, 8ull, 9ull, 100ull, 3001ull, 40000ull}) {
        for (const bool by_degree : {false, true}) {
            for (const double fire_share : {0.0, 0.001, 0.02, 0.5}) {
                const Graph g = make_graph(rng, n, by_degree, n >= 40000 ? 2 : 0);
                const std::vector<float> cur = make_activations(rng, n, fire_share);
                for (const float threshold : {0.01f, 0.0f, -1.0f}) {
                    for (const double decay : {0.5, 0.0, -0.5, 2.0, HUGE_VAL}) {
                        std::vector<float> quiet(n, 1.0f), plain(n, 2.0f);
                        const auto q = engram::test::spread_iteration_avx2(
                            true, g.offsets.data(), g.sources.data(), g.weights.data(), n,
                            threshold, decay, cur.data(), quiet.data());
                        const auto p = engram::test::spread_iteration_avx2(
                            false, g.offsets.data(), g.sources.data(), g.weights.data(), n,
                            threshold, decay, cur.data(), plain.data());
                        INFO("n=" << n << " by_degree=" << by_degree << " fire_share=" << fire_share
                                  << " threshold=" << threshold << " decay=" << decay);
                        CHECK(std::memcmp(quiet.data(), plain.data(), n * sizeof(float)) == 0);
                        CHECK(std::bit_cast<uint32_t>(q.max) == std::bit_cast<uint32_t>(p.max));
                        // The counts that pick the next mode: every group
                        // skipped when nothing fires, few when everything
                        // does (on graphs in file order, where runs of eight
                        // nodes without in-edges are rare).
                        CHECK(q.quiet_groups <= q.groups);
                        CHECK(q.groups <= n / 8);
                        if (n >= 3001) CHECK(q.groups * 8 >= n / 2);
                        if (fire_share == 0.0 && threshold > 0.0f)
                            CHECK(q.quiet_groups == q.groups);
                        if (threshold < 0.0f && !by_degree && n >= 3001)
                            CHECK(q.quiet_groups * 10 < q.groups);
                        ++cases;
                    }
                }
            }
        }
    }
    CHECK(cases == 7 * 2 * 4 * 3 * 5);
}
