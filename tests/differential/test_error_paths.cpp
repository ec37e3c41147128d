// The error statuses of the contract, on every loaded backend: out-of-range
// sources and bad offsets are ENGRAM_E_OUT_OF_RANGE (on generated graphs, so
// the corrupt index lands anywhere, including in SIMD-width blocks and
// tails), dim 0 and null pointers are ENGRAM_E_INVALID_ARGUMENT, scratch below
// scratch_bytes() is ENGRAM_E_SCRATCH_TOO_SMALL, and n == 0 is ENGRAM_OK.
// Last, proof that the oracle check the differential tests rely on
// (validation::run + compare_*) can fail: zoo plugins with wrong numbers and
// with a write past the end are caught in-process.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend_report.h"
#include "common/error.h"
#include "loader/plugin_loader.h"
#include "oracle/oracle.h"
#include "platform/cpu_features.h"
#include "property_env.h"
#include "spreading_case.h"
#include "validation/kernel_checks.h"

using namespace engram;
using namespace engram::difftest;

namespace {

engram_status spread(const engram_kernel_table& t, const SpreadingCase& c, uint64_t scratch_bytes,
                     const engram_spread_params* params) {
    OffsetBuffer<unsigned char> scratch(scratch_bytes, 0);
    OffsetBuffer<float> act(c.n, c.activation_offset);
    if (c.n) std::memcpy(act.data(), c.seeds.data(), c.n * sizeof(float));
    return t.spread(c.offsets.data(), c.sources.data(), c.weights.data(), c.n, params, act.data(),
                    scratch.data(), scratch_bytes);
}

uint64_t spread_scratch(const engram_kernel_table& t, const SpreadingCase& c) {
    const engram_shape shape{c.n, 0, c.edges()};
    return t.scratch_bytes(ENGRAM_KERNEL_SPREADING, &shape);
}

// Error-path cases are cheaper than numeric ones; a tenth of the count
// (at least 50) still puts the corrupt index everywhere.
uint64_t error_cases(const PropertyRun& run) { return std::max<uint64_t>(50, run.cases() / 10); }

}  // namespace

TEST_CASE("spreading: a corrupt graph is ENGRAM_E_OUT_OF_RANGE on every backend",
          "[differential][errors]") {
    const auto backends = backends_under_test();
    const PropertyRun run("spreading-errors");
    for (uint64_t i = 0; i < error_cases(run); ++i) {
        if (!run.selected(i)) continue;
        Rng rng(run.case_seed(i));
        SpreadingCase c = make_spreading_graph(rng);
        if (c.n == 0) continue;
        std::string what;
        const uint64_t kind =
            c.edges() ? rng.range(0, 2) : 1;  // kind 2 needs edges to stay in bounds
        if (kind == 0) {                      // one source index >= n_nodes
            const uint64_t j = rng.range(0, c.edges() - 1);
            const uint64_t r = rng.range(0, 3);
            c.sources[j] = r == 0   ? static_cast<uint32_t>(c.n)
                           : r == 1 ? UINT32_MAX
                                    : static_cast<uint32_t>(rng.range(c.n, UINT32_MAX));
            what = "source[" + std::to_string(j) + "]=" + std::to_string(c.sources[j]);
        } else if (kind == 1) {  // offsets[0] != 0
            c.offsets[0] = static_cast<uint32_t>(rng.range(1, 1000));
            what = "offsets[0]=" + std::to_string(c.offsets[0]);
        } else {  // a decreasing offset
            const uint64_t k = rng.range(1, c.n);
            if (c.offsets[k - 1] == 0) c.offsets[k - 1] = 1;
            c.offsets[k] = c.offsets[k - 1] - 1;
            what = "offsets[" + std::to_string(k) + "] < offsets[" + std::to_string(k - 1) + "]";
        }
        for (const Backend* b : backends) {
            INFO("backend=" << b->name << " " << run.replay(i) << " " << what
                            << " case: " << c.describe());
            // Scratch is generous: the graph check must come first and win.
            CHECK(spread(b->plugin->table(), c, (c.n + 64) * sizeof(float), &c.params) ==
                  ENGRAM_E_OUT_OF_RANGE);
        }
    }
}

TEST_CASE("spreading: scratch below scratch_bytes() is ENGRAM_E_SCRATCH_TOO_SMALL",
          "[differential][errors]") {
    const auto backends = backends_under_test();
    const PropertyRun run("spreading-scratch");
    for (uint64_t i = 0; i < error_cases(run); ++i) {
        if (!run.selected(i)) continue;
        Rng rng(run.case_seed(i));
        const SpreadingCase c = make_spreading_graph(rng);
        if (c.n == 0) continue;
        for (const Backend* b : backends) {
            const auto& t = b->plugin->table();
            const uint64_t need = spread_scratch(t, c);
            INFO("backend=" << b->name << " " << run.replay(i) << " scratch_bytes=" << need
                            << " case: " << c.describe());
            REQUIRE(need > 0);  // spreading is synchronous: it always needs a second vector
            CHECK(spread(t, c, need - 1, &c.params) == ENGRAM_E_SCRATCH_TOO_SMALL);
            CHECK(spread(t, c, 0, &c.params) == ENGRAM_E_SCRATCH_TOO_SMALL);
            CHECK(spread(t, c, need, &c.params) == ENGRAM_OK);
        }
    }
}

TEST_CASE(
    "spread_push (ABI 1.2): bad in-edges as spread, bad out-edges ENGRAM_E_OUT_OF_RANGE, "
    "a null out ENGRAM_E_INVALID_ARGUMENT, short scratch ENGRAM_E_SCRATCH_TOO_SMALL",
    "[differential][errors]") {
    const auto backends = backends_under_test();
    const PropertyRun run("spread-push-errors");
    for (uint64_t i = 0; i < error_cases(run); ++i) {
        if (!run.selected(i)) continue;
        Rng rng(run.case_seed(i));
        const SpreadingCase c = make_spreading_graph(rng);
        if (c.n == 0) continue;
        const validation::SpreadCall call{c.offsets.data(), c.sources.data(), c.weights.data(), c.n,
                                          c.params,         c.seeds.data()};
        const validation::OutEdges good = validation::OutEdges::of(call);
        // One fault per out-edge copy: a target >= n, offsets[0] != 0, one
        // edge fewer than the in-edges, a decreasing offset.
        std::vector<validation::OutEdges> bad(4, good);
        std::vector<std::string> what = {"target", "out offsets[0]", "edge count", "decreasing"};
        if (c.edges()) bad[0].targets[rng.range(0, c.edges() - 1)] = static_cast<uint32_t>(c.n);
        bad[1].offsets[0] = 1;
        bad[2].offsets[c.n] += 1;
        const uint64_t k = rng.range(1, c.n);
        bad[3].offsets[k] = bad[3].offsets[k - 1] + 1;
        bad[3].offsets[k - 1] += 2;
        std::vector<uint32_t> wrong_sources(c.sources.data(), c.sources.data() + c.edges());
        if (c.edges()) wrong_sources[rng.range(0, c.edges() - 1)] = static_cast<uint32_t>(c.n);
        for (const Backend* b : backends) {
            const auto& t = b->plugin->table();
            REQUIRE(t.spread_push != nullptr);  // every shipped backend offers it
            const engram_shape shape{c.n, 0, c.edges()};
            const uint64_t need = t.scratch_bytes(ENGRAM_KERNEL_SPREAD_PUSH, &shape);
            REQUIRE(need > 0);
            std::vector<unsigned char> scratch(need + 64);
            std::vector<float> act(c.seeds.data(), c.seeds.data() + c.n);
            const auto push = [&](const uint32_t* sources, const engram_out_edges* out,
                                  uint64_t cap) {
                return t.spread_push(c.offsets.data(), sources, c.weights.data(), out, c.n,
                                     &c.params, act.data(), scratch.data(), cap);
            };
            INFO("backend=" << b->name << " " << run.replay(i) << " case: " << c.describe());
            const engram_out_edges ok = good.view();
            CHECK(push(c.sources.data(), &ok, need) == ENGRAM_OK);
            CHECK(push(c.sources.data(), &ok, need - 1) == ENGRAM_E_SCRATCH_TOO_SMALL);
            CHECK(push(c.sources.data(), nullptr, need) == ENGRAM_E_INVALID_ARGUMENT);
            for (size_t f = c.edges() ? 0 : 1; f < bad.size(); ++f) {
                INFO("fault: " << what[f]);
                const engram_out_edges v = bad[f].view();
                CHECK(push(c.sources.data(), &v, need) == ENGRAM_E_OUT_OF_RANGE);
            }
            // The in-edges are checked first, as spread checks them.
            if (c.edges()) {
                CHECK(push(wrong_sources.data(), &ok, need) == ENGRAM_E_OUT_OF_RANGE);
                CHECK(push(wrong_sources.data(), nullptr, 0) == ENGRAM_E_OUT_OF_RANGE);
            }
        }
    }
}

TEST_CASE("invalid arguments are ENGRAM_E_INVALID_ARGUMENT on every backend",
          "[differential][errors]") {
    for (const Backend* b : backends_under_test()) {
        INFO("backend=" << b->name);
        const auto& t = b->plugin->table();
        float q[4] = {1, 2, 3, 4}, c[8] = {1, 0, 0, 0, 0, 1, 0, 0}, scores[2] = {};
        CHECK(t.similarity(q, c, nullptr, 2, 0, scores, nullptr, 0) == ENGRAM_E_INVALID_ARGUMENT);
        CHECK(t.similarity(nullptr, c, nullptr, 2, 4, scores, nullptr, 0) ==
              ENGRAM_E_INVALID_ARGUMENT);
        CHECK(t.similarity(q, nullptr, nullptr, 2, 4, scores, nullptr, 0) ==
              ENGRAM_E_INVALID_ARGUMENT);
        CHECK(t.similarity(q, c, nullptr, 2, 4, nullptr, nullptr, 0) == ENGRAM_E_INVALID_ARGUMENT);

        const uint32_t offsets[] = {0, 1, 1};
        const uint32_t sources[] = {1};
        const float weights[] = {0.5f};
        float act[2] = {0.0f, 1.0f}, scratch[16];
        CHECK(t.spread(offsets, sources, weights, 2, nullptr, act, scratch, sizeof scratch) ==
              ENGRAM_E_INVALID_ARGUMENT);

        float s[3] = {1, 1, 1}, a[3] = {0, 1, 2}, out[3];
        CHECK(t.decay(nullptr, a, nullptr, 10.0f, 3, out, nullptr, 0) == ENGRAM_E_INVALID_ARGUMENT);
        CHECK(t.decay(s, nullptr, nullptr, 10.0f, 3, out, nullptr, 0) == ENGRAM_E_INVALID_ARGUMENT);
        CHECK(t.decay(s, a, nullptr, 10.0f, 3, nullptr, nullptr, 0) == ENGRAM_E_INVALID_ARGUMENT);
    }
}

TEST_CASE("n == 0 is ENGRAM_OK and touches nothing on every backend", "[differential][errors]") {
    for (const Backend* b : backends_under_test()) {
        INFO("backend=" << b->name);
        const auto& t = b->plugin->table();
        float q[4] = {1, 2, 3, 4}, c[4] = {}, scores[1] = {42.0f};
        CHECK(t.similarity(q, c, nullptr, 0, 4, scores, nullptr, 0) == ENGRAM_OK);
        CHECK(scores[0] == 42.0f);
        const uint32_t offsets[] = {0};
        const engram_spread_params p{3, 1.0f, 0.0f};
        float act[1] = {42.0f};
        CHECK(t.spread(offsets, nullptr, nullptr, 0, &p, act, nullptr, 0) == ENGRAM_OK);
        CHECK(act[0] == 42.0f);
        float s[1] = {1}, a[1] = {1}, out[1] = {42.0f};
        CHECK(t.decay(s, a, nullptr, 10.0f, 0, out, nullptr, 0) == ENGRAM_OK);
        CHECK(out[0] == 42.0f);
    }
}

TEST_CASE("scratch_bytes() of similarity and decay is honoured when non-zero",
          "[differential][errors]") {
    for (const Backend* b : backends_under_test()) {
        INFO("backend=" << b->name);
        const auto& t = b->plugin->table();
        const engram_shape sim{5, 33, 0}, dec{37, 0, 0};
        const uint64_t sim_need = t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &sim);
        const uint64_t dec_need = t.scratch_bytes(ENGRAM_KERNEL_DECAY, &dec);
        std::vector<float> q(33, 1.0f), c(5 * 33, 1.0f), scores(5), s(37, 1.0f), a(37, 1.0f),
            out(37);
        OffsetBuffer<unsigned char> scratch(std::max(sim_need, dec_need), 0);
        if (sim_need > 0)
            CHECK(t.similarity(q.data(), c.data(), nullptr, 5, 33, scores.data(), scratch.data(),
                               sim_need - 1) == ENGRAM_E_SCRATCH_TOO_SMALL);
        if (dec_need > 0)
            CHECK(t.decay(s.data(), a.data(), nullptr, 10.0f, 37, out.data(), scratch.data(),
                          dec_need - 1) == ENGRAM_E_SCRATCH_TOO_SMALL);
        CHECK(t.similarity(q.data(), c.data(), nullptr, 5, 33, scores.data(), scratch.data(),
                           sim_need) == ENGRAM_OK);
        CHECK(t.decay(s.data(), a.data(), nullptr, 10.0f, 37, out.data(), scratch.data(),
                      dec_need) == ENGRAM_OK);
    }
}

namespace {

// A zoo plugin mapped straight into this process (map_plugin: no private
// copy, no child, no self-test), so the check under test is the only judge.
std::shared_ptr<const Plugin> map_zoo(const std::string& name) {
    const std::filesystem::path file =
        std::filesystem::path(ENGRAM_TEST_ZOO_DIR) / ("libengram_zoo_" + name + ".so");
    return map_plugin(file, file, detect_cpu_features(), "", std::nullopt);
}

// n candidates of dimension dim, each close to the query: cosines near 1,
// so a 10% error is far outside the 1e-5 tolerance.
struct SimilarityInputs {
    std::vector<float> query, candidates;
    SimilarityInputs(uint64_t n, uint64_t dim) : query(dim), candidates(n * dim) {
        for (uint64_t k = 0; k < dim; ++k) query[k] = 1.0f + 0.25f * static_cast<float>(k % 5);
        for (uint64_t i = 0; i < n; ++i)
            for (uint64_t k = 0; k < dim; ++k)
                candidates[i * dim + k] = query[k] + 0.01f * static_cast<float>((i + k) % 7);
    }
    validation::SimilarityCall call(uint64_t n, uint64_t dim) const {
        return {query.data(), candidates.data(), nullptr, n, dim};
    }
};

std::string code_of(const validation::Verdict& v) {
    return v ? std::string(code_string(v->code)) : "passed";
}

// The verdict's code is `want`, with the verdict's text in the report.
void expect_verdict(const validation::Verdict& v, std::string_view want,
                    const std::string& what_part) {
    INFO((v ? v->what : std::string("no verdict: the check passed")));
    CHECK(code_of(v) == want);
    if (v) CHECK_THAT(v->what, Catch::Contains(what_part));
}

}  // namespace

TEST_CASE("the oracle check fails a plugin whose numbers are wrong",
          "[differential][errors][zoo]") {
    const auto p = map_zoo("wrong_numerics");
    const auto& t = p->table();
    const SimilarityInputs in(8, 16);
    // Output at an odd address, as the differential tests pass it.
    expect_verdict(validation::check(t, in.call(8, 16), validation::BufferOptions{false, 3}),
                   code_string(ErrorCode::SelfTestNumerics), "score[0]");

    // The same path as test_similarity.cpp: run, then compare.
    const auto call = in.call(8, 16);
    std::vector<float> got;
    REQUIRE(code_of(validation::run(t, call, validation::BufferOptions{false, 1}, &got)) ==
            "passed");
    REQUIRE(got.size() == 8);
    expect_verdict(
        validation::compare_similarity(
            call, got, oracle::similarity(call.query, call.candidates, call.n, call.dim)),
        code_string(ErrorCode::SelfTestNumerics), "outside tolerance");

    // Its decay is the reference's: the same check passes it.
    const std::vector<float> strength(5, 1.0f), age{0.0f, 1.0f, 10.0f, 100.0f, 1000.0f};
    expect_verdict(
        validation::check(t, validation::DecayCall{strength.data(), age.data(), nullptr, 50.0f, 5},
                          validation::BufferOptions{false, 1}),
        "passed", "");
}

TEST_CASE("the oracle check's canaries catch a write past the output",
          "[differential][errors][zoo]") {
    const auto p = map_zoo("out_of_bounds");
    const auto& t = p->table();
    const SimilarityInputs in(100, 9);
    // Right up to n = 64 ...
    expect_verdict(validation::check(t, in.call(64, 9), validation::BufferOptions{false, 1}),
                   "passed", "");
    // ... above it one element past the end: canaries only, no guard page,
    // so this process survives and the verdict says what happened.
    for (const uint64_t offset : {0u, 1u, 3u}) {
        INFO("out_offset=" << offset);
        expect_verdict(
            validation::check(t, in.call(100, 9), validation::BufferOptions{false, offset}),
            code_string(ErrorCode::SelfTestOutOfBounds), "outside its output buffer");
    }
}
