// The reference backend, loaded through the real loader, against the oracle
// on seeded random inputs within the documented tolerances.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "loader/plugin_loader.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "platform/cpu_features.h"

using namespace engram;

namespace {
std::shared_ptr<const Plugin> reference() {
    static auto p = load_plugin(std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_reference.so",
                                default_load_options(detect_cpu_features()));
    return p;
}
}  // namespace

TEST_CASE("reference similarity matches the oracle") {
    const auto& t = reference()->table();
    std::mt19937 rng(1234);
    std::normal_distribution<float> nd;
    for (uint64_t dim : {1u, 2u, 7u, 31u, 768u, 1025u, 4096u}) {
        const uint64_t n = 50;
        std::vector<float> q(dim), c(n * dim), scores(n);
        for (auto& v : q) v = nd(rng);
        for (auto& v : c) v = nd(rng);
        const auto want = oracle::similarity(q.data(), c.data(), n, dim);
        REQUIRE(t.similarity(q.data(), c.data(), nullptr, n, dim, scores.data(), nullptr, 0) ==
                ENGRAM_OK);
        for (uint64_t i = 0; i < n; ++i) CHECK(tolerance::similarity_ok(scores[i], want[i]));
    }
}

TEST_CASE("reference spreading matches the oracle on a random graph") {
    const auto& t = reference()->table();
    std::mt19937 rng(99);
    const uint64_t n = 2000;
    std::vector<uint32_t> offsets{0}, sources;
    std::vector<float> weights;
    std::uniform_int_distribution<uint32_t> node(0, n - 1), deg(0, 16);
    std::uniform_real_distribution<float> w(0.01f, 1.0f);
    for (uint64_t i = 0; i < n; ++i) {
        for (uint32_t d = deg(rng); d > 0; --d) {
            sources.push_back(node(rng));
            weights.push_back(w(rng));
        }
        offsets.push_back(static_cast<uint32_t>(sources.size()));
    }
    std::vector<float> act(n, 0.0f), scratch(n);
    for (int s = 0; s < 20; ++s) act[node(rng)] = 1.0f;
    const engram_spread_params p{10, 0.7f, 0.0f};
    const auto want =
        oracle::spread(offsets.data(), sources.data(), weights.data(), n, p, act.data());
    REQUIRE(t.spread(offsets.data(), sources.data(), weights.data(), n, &p, act.data(),
                     scratch.data(), scratch.size() * sizeof(float)) == ENGRAM_OK);
    double mx = 0;
    for (double v : want.activation) mx = std::max(mx, v);
    for (uint64_t i = 0; i < n; ++i) CHECK(tolerance::spread_ok(act[i], want.activation[i], mx));
}

TEST_CASE("reference spreading refuses scratch that is too small") {
    const auto& t = reference()->table();
    const uint32_t offsets[] = {0, 0, 0};
    float act[2] = {1, 0}, scratch[1];
    const engram_spread_params p{1, 1.0f, 0.0f};
    CHECK(t.spread(offsets, nullptr, nullptr, 2, &p, act, scratch, sizeof scratch) ==
          ENGRAM_E_SCRATCH_TOO_SMALL);
}

TEST_CASE("reference decay matches the oracle across ages and stabilities") {
    const auto& t = reference()->table();
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const uint64_t n = 10001;
    std::vector<float> s(n), a(n), st(n), out(n);
    for (uint64_t i = 0; i < n; ++i) {
        s[i] = 0.1f + u(rng);
        a[i] = std::pow(10.0f, 9.0f * u(rng)) - 1.0f;  // 0 .. 1e9 s, log-spread
        st[i] = std::pow(10.0f, 9.0f * u(rng));        // 1 .. 1e9 s
    }
    const auto want = oracle::decay(s.data(), a.data(), st.data(), 0.0f, n);
    REQUIRE(t.decay(s.data(), a.data(), st.data(), 0.0f, n, out.data(), nullptr, 0) == ENGRAM_OK);
    for (uint64_t i = 0; i < n; ++i) CHECK(tolerance::decay_ok(out[i], want[i], s[i]));
}
