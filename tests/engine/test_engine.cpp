#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "common/error.h"
#include "engine_fixture.h"
#include "store/memory_store.h"

using namespace engram;
using namespace engram::testing;

namespace {
std::unique_ptr<Engine> make_engine(double now) {
    auto e = std::make_unique<Engine>(tiny_store(now));
    e->install(build_kernel_set(reference_config(), detect_cpu_features(), 1, nullptr));
    return e;
}
}  // namespace

TEST_CASE("find_similar ranks by cosine, best first, ties by id") {
    auto ep = make_engine(0);
    Engine& e = *ep;
    const float q[] = {2, 0};
    const auto a = e.find_similar(q, 3);
    REQUIRE(a.items.size() == 3);
    CHECK(a.items[0].id == 0);
    CHECK(a.items[0].value == Approx(1.0f));
    CHECK(a.items[1].id == 3);
    CHECK(a.items[1].value == Approx(1.0f / std::sqrt(2.0f)));
    CHECK(a.items[2].id == 1);  // 0.0 ties with nothing; -1 (id 2) is last
    CHECK(a.backend == "reference");
    CHECK(a.generation == 1);
    CHECK(e.find_similar(q, 1000).items.size() == 4);  // k > n gives all
}

TEST_CASE("find_similar's top k is a full sort of the kernel's scores, best first, ties by id") {
    // Every fifth row is a copy of row 1: many exact ties, some of them at the
    // top (the query is row 1) and some wherever row 1 lands.
    MemoryStore store = make_synthetic_store(3000, 8, 1.0, 7, 86400.0, 0.0);
    for (uint64_t i = 0; i < store.n; i += 5) {
        std::copy_n(store.embeddings.begin() + 8, 8,
                    store.embeddings.begin() + static_cast<long>(i * 8));
        store.norms[i] = store.norms[1];
    }
    const std::vector<float> query(store.embeddings.begin() + 8, store.embeddings.begin() + 16);
    Engine e(std::make_shared<const MemoryStore>(store));
    e.install(build_kernel_set(reference_config(), detect_cpu_features(), 1, nullptr));

    std::vector<float> scores(store.n);
    const auto& t = e.snapshot()->table(Kernel::Similarity);
    REQUIRE(t.similarity(query.data(), store.embeddings.data(), store.norms.data(), store.n,
                         store.dim, scores.data(), nullptr, 0) == ENGRAM_OK);
    std::vector<uint32_t> order(store.n);
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });

    for (uint32_t k : {1u, 2u, 10u, 599u, 600u, 601u, 1000u}) {
        INFO("k = " << k);
        const auto a = e.find_similar(query, k);
        REQUIRE(a.items.size() == k);
        for (uint32_t r = 0; r < k; ++r) {
            CHECK(a.items[r].id == order[r]);
            CHECK(a.items[r].value == scores[order[r]]);
        }
    }
}

TEST_CASE("find_similar rejects bad queries with E_BAD_REQUEST") {
    auto ep = make_engine(0);
    Engine& e = *ep;
    const float three[] = {1, 2, 3};
    const float nan[] = {NAN, 1};
    const float ok[] = {1, 1};
    auto code_of = [](auto&& fn) {
        try {
            fn();
        } catch (const Error& err) {
            return std::string(code_string(err.code()));
        }
        return std::string("none");
    };
    CHECK(code_of([&] { e.find_similar(three, 1); }) == "E_BAD_REQUEST");
    CHECK(code_of([&] { e.find_similar(nan, 1); }) == "E_BAD_REQUEST");
    CHECK(code_of([&] { e.find_similar(ok, 0); }) == "E_BAD_REQUEST");
    CHECK(code_of([&] { e.find_similar(ok, Engine::kMaxK + 1); }) == "E_BAD_REQUEST");
}

TEST_CASE("spread follows in-edges: a hand-computed chain") {
    auto ep = make_engine(0);
    Engine& e = *ep;
    SpreadRequest r;
    r.seeds = {0};
    r.iterations = 2;
    r.decay = 0.5f;
    r.threshold = 0.0f;
    r.top = 10;
    // as in the oracle test: act = [1, 0.5, 0.125, 0]; node 3 stays 0 and is omitted
    const auto a = e.spread(r);
    REQUIRE(a.items.size() == 3);
    CHECK(a.items[0].id == 0);
    CHECK(a.items[1].id == 1);
    CHECK(a.items[1].value == Approx(0.5f));
    CHECK(a.items[2].id == 2);
    CHECK(a.items[2].value == Approx(0.125f));
    r.seeds = {7};
    CHECK_THROWS_AS(e.spread(r), Error);
    r.seeds = {0};
    r.decay = NAN;
    CHECK_THROWS_AS(e.spread(r), Error);
    // A factor that would overflow float in any backend is the request's
    // fault, not the plugin's: E_BAD_REQUEST, never E_KERNEL_NONFINITE.
    r.decay = 1e38f;
    try {
        e.spread(r);
        FAIL("decay 1e38 was accepted");
    } catch (const Error& err) {
        CHECK(err.code() == ErrorCode::BadRequest);
    }
    r.decay = Engine::kMaxSpreadDecay;
    CHECK_NOTHROW(e.spread(r));
}

TEST_CASE("retention is strength x exp(-age/stability) at the given time") {
    const double now = 1.8e9;
    auto ep = make_engine(now);
    Engine& e = *ep;
    const uint32_t ids[] = {0, 1, 2, 3};
    const auto a = e.retention(ids, now);
    REQUIRE(a.items.size() == 4);
    CHECK(a.items[0].value == Approx(std::exp(-1.0)));  // one e-folding time
    CHECK(a.items[1].value == Approx(0.5));             // age 0
    CHECK(a.items[2].value == Approx(1.0));             // accessed "in the future": age 0
    CHECK(a.items[3].value == Approx(2.0 * std::exp(-0.5)));
    const uint32_t bad[] = {4};
    CHECK_THROWS_AS(e.retention(bad, now), Error);
}
