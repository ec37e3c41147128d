#include "validation/deep_self_test.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/xoshiro256.h"
#include "oracle/oracle.h"
#include "validation/guarded_buffer.h"
#include "validation/kernel_checks.h"

namespace engram::validation {

namespace {

// Every length that ends on, just before or just after a vector width or an
// unroll (4, 8, 16 floats; unrolls of 2-4 vectors) up to past 4096.
constexpr uint64_t kEdgeLengths[] = {1,   2,   3,   4,   5,    7,    8,    9,    15,   16,  17,
                                     31,  32,  33,  63,  64,   65,   127,  128,  129,  255, 256,
                                     257, 511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097};
constexpr uint64_t kEdgeDims[] = {1,   2,   3,   4,   5,   7,    8,    9,    15,   16,   17,  31,
                                  32,  33,  63,  64,  65,  127,  128,  129,  255,  256,  257, 383,
                                  384, 385, 767, 768, 769, 1023, 1024, 1025, 1535, 1536, 1537};

class Rand {
  public:
    explicit Rand(uint64_t seed) : g_(seed) {}
    double unit() { return static_cast<double>(g_.next() >> 11) * 0x1.0p-53; }
    // 24 random bits are all a float holds: cheaper than going through double.
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>(g_.next() >> 40) * 0x1p-24f;
    }
    uint64_t below(uint64_t n) { return n ? g_.next() % n : 0; }

  private:
    Xoshiro256Core g_;
};

struct Runner {
    const engram_kernel_table& t;
    const std::string& label;
    const DeepOptions& o;

    BufferOptions buffers(uint64_t out_offset = 0) const {
        return {o.page_guard, o.page_guard ? 0 : out_offset};
    }

    void verdict(const Verdict& v) const {
        if (v)
            throw Error(v->code,
                        label + ": deep self-test failed (plugin '" + t.name + "'): " + v->what);
    }
};

// A read-only copy of an input, at `offset` elements past a 64-byte boundary
// (sealed only when guard pages are on: in-process a write would kill the
// caller rather than fail the check).
template <class T>
std::unique_ptr<Guarded<T>> input(const std::vector<T>& v, uint64_t offset, bool seal) {
    auto g = std::make_unique<Guarded<T>>(v.size(), offset, false, v.data());
    if (seal) g->seal();
    return g;
}

// ---------------------------------------------------------------- similarity

struct SimilarityData {
    std::vector<float> query, cand, norms;
    uint64_t n = 0, dim = 0;
};

enum class RowStyle { Uniform, Mixed };

SimilarityData make_similarity(Rand& r, uint64_t n, uint64_t dim, RowStyle style,
                               double scale = 1.0) {
    SimilarityData d;
    d.n = n;
    d.dim = dim;
    d.query.resize(dim);
    d.cand.resize(n * dim);
    d.norms.resize(n);
    for (auto& v : d.query) v = static_cast<float>(r.uniform(-1, 1) * scale);
    for (uint64_t i = 0; i < n; ++i) {
        float* row = d.cand.data() + i * dim;
        const uint64_t kind = style == RowStyle::Mixed ? i % 8 : 7;
        for (uint64_t k = 0; k < dim; ++k) {
            switch (kind) {
                case 0:
                    row[k] = 0.0f;
                    break;  // norm 0 -> 0
                case 1:
                    row[k] = d.query[k];
                    break;  // parallel -> 1
                case 2:
                    row[k] = -2.0f * d.query[k];
                    break;  // anti-parallel -> -1
                case 3:
                    row[k] = static_cast<float>(r.uniform(-1, 1) * 1e-18);
                    break;  // tiny, normal
                case 4:
                    row[k] = static_cast<float>(r.uniform(-1, 1) * 0x1p40);
                    break;  // very large norms
                default:
                    row[k] = static_cast<float>(r.uniform(-1, 1) * scale);
            }
        }
        double cc = 0;
        for (uint64_t k = 0; k < dim; ++k) cc += double(row[k]) * row[k];
        d.norms[i] = static_cast<float>(std::sqrt(cc));
    }
    return d;
}

void check_similarity(const Runner& run, const SimilarityData& d, bool with_norms,
                      uint64_t offset) {
    const bool seal = run.o.page_guard;
    auto q = input(d.query, offset, seal), c = input(d.cand, (offset + 1) % 4, seal),
         nm = input(d.norms, offset, seal);
    const SimilarityCall call{q->data(), c->data(), with_norms ? nm->data() : nullptr, d.n, d.dim};
    run.verdict(check(run.t, call, run.buffers(offset)));
}

void similarity_plan(const Runner& run, Rand& r) {
    uint64_t step = 0;
    for (uint64_t n : kEdgeLengths) {
        check_similarity(run, make_similarity(r, n, 17, RowStyle::Mixed), step % 2 == 0, step % 4);
        ++step;
    }
    for (uint64_t dim : kEdgeDims) {
        check_similarity(run, make_similarity(r, 33, dim, RowStyle::Mixed), step % 2 == 0,
                         step % 4);
        ++step;
    }
    check_similarity(run, make_similarity(r, 2048, 768, RowStyle::Mixed), true, 0);
    check_similarity(run, make_similarity(r, 600, 1536, RowStyle::Mixed), false, 1);
    check_similarity(run, make_similarity(r, 300, 768, RowStyle::Uniform, 1e15), true, 2);
    check_similarity(run, make_similarity(r, 300, 384, RowStyle::Uniform, 1e-15), false, 3);
    // dim 0 is the one invalid shape the contract names.
    float one = 1.0f;
    const SimilarityCall zero_dim{&one, &one, nullptr, 1, 0};
    run.verdict(
        validation::run(run.t, zero_dim, run.buffers(), nullptr, ENGRAM_E_INVALID_ARGUMENT));
    for (unsigned i = 0; i < run.o.random_cases; ++i) {
        const uint64_t dim = 1 + r.below(1536);
        const uint64_t n = 1 + r.below(std::min<uint64_t>(3000, 120000 / dim));
        check_similarity(run,
                         make_similarity(r, n, dim, i % 2 ? RowStyle::Mixed : RowStyle::Uniform),
                         i % 3 != 0, i % 4);
    }
}

// ------------------------------------------------- compressed (ABI 1.1)

// Compressed rows built from the float rows of make_similarity (its zero,
// parallel, anti-parallel, tiny and huge rows): bf16 by truncating each
// float's low 16 bits (any bit pattern of a finite value is a valid input),
// int8 per row with scale max|c|/127 (the store's encoding), plus rows with
// code -128 (never produced by the host, still valid) and a zero scale. The
// norms are those of the decoded rows, as the host passes them.
struct CompressedData {
    std::vector<float> query, norms_bf16, norms_int8, scales;
    std::vector<uint16_t> bf16;
    std::vector<int8_t> int8;
    uint64_t n = 0, dim = 0;
};

CompressedData make_compressed(Rand& r, uint64_t n, uint64_t dim, RowStyle style,
                               double scale = 1.0) {
    const SimilarityData f = make_similarity(r, n, dim, style, scale);
    CompressedData d;
    d.n = n;
    d.dim = dim;
    d.query = f.query;
    d.bf16.resize(n * dim);
    d.int8.resize(n * dim);
    d.scales.resize(n);
    d.norms_bf16.resize(n);
    d.norms_int8.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        const float* row = f.cand.data() + i * dim;
        double bb = 0, ii = 0;
        float mx = 0;
        for (uint64_t k = 0; k < dim; ++k) {
            uint32_t bits;
            std::memcpy(&bits, &row[k], sizeof bits);
            d.bf16[i * dim + k] = static_cast<uint16_t>(bits >> 16);
            const uint32_t back = bits & 0xffff0000u;
            float v;
            std::memcpy(&v, &back, sizeof v);
            bb += double(v) * v;
            mx = std::max(mx, std::fabs(row[k]));
        }
        float sc = static_cast<float>(mx / 127.0);
        if (i % 13 == 5) sc = 0.0f;  // a zero scale: the row decodes to 0
        d.scales[i] = sc;
        for (uint64_t k = 0; k < dim; ++k) {
            int8_t code = 0;
            if (sc > 0)
                code = static_cast<int8_t>(std::clamp(std::round(row[k] / sc), -127.0f, 127.0f));
            if (i % 17 == 6 && k % 3 == 0) code = -128;
            d.int8[i * dim + k] = code;
            ii += double(code) * code;
        }
        d.norms_bf16[i] = static_cast<float>(std::sqrt(bb));
        d.norms_int8[i] = static_cast<float>(std::sqrt(ii) * double(sc));
    }
    return d;
}

void check_compressed(const Runner& run, const CompressedData& d, bool with_norms,
                      uint64_t offset) {
    const bool seal = run.o.page_guard;
    auto q = input(d.query, offset, seal);
    if (run.t.similarity_bf16) {
        auto c = input(d.bf16, (offset + 1) % 4, seal);
        auto nm = input(d.norms_bf16, offset, seal);
        const CompressedSimilarityCall call{
            q->data(), c->data(), nullptr, nullptr, with_norms ? nm->data() : nullptr, d.n, d.dim};
        run.verdict(check(run.t, call, run.buffers(offset)));
    }
    if (run.t.similarity_int8) {
        auto c = input(d.int8, (offset + 3) % 4, seal);
        auto sc = input(d.scales, offset, seal);
        auto nm = input(d.norms_int8, offset, seal);
        const CompressedSimilarityCall call{
            q->data(), nullptr, c->data(), sc->data(), with_norms ? nm->data() : nullptr,
            d.n,       d.dim};
        run.verdict(check(run.t, call, run.buffers(offset)));
    }
}

// Only for the kernels the table offers (ABI 1.1; a 1.0 table reads as none).
void compressed_plan(const Runner& run, Rand& r) {
    if (!run.t.similarity_bf16 && !run.t.similarity_int8) return;
    uint64_t step = 0;
    for (uint64_t n : kEdgeLengths) {
        check_compressed(run, make_compressed(r, n, 17, RowStyle::Mixed), step % 2 == 0, step % 4);
        ++step;
    }
    for (uint64_t dim : kEdgeDims) {
        check_compressed(run, make_compressed(r, 33, dim, RowStyle::Mixed), step % 2 == 0,
                         step % 4);
        ++step;
    }
    check_compressed(run, make_compressed(r, 2048, 768, RowStyle::Mixed), true, 0);
    check_compressed(run, make_compressed(r, 600, 1536, RowStyle::Mixed), false, 1);
    check_compressed(run, make_compressed(r, 300, 768, RowStyle::Uniform, 1e15), true, 2);
    check_compressed(run, make_compressed(r, 300, 384, RowStyle::Uniform, 1e-15), false, 3);
    float one = 1.0f, scale = 1.0f;
    const uint16_t b = 0x3f80;  // 1.0
    const int8_t c = 1;
    if (run.t.similarity_bf16)
        run.verdict(validation::run(
            run.t, CompressedSimilarityCall{&one, &b, nullptr, nullptr, nullptr, 1, 0},
            run.buffers(), nullptr, ENGRAM_E_INVALID_ARGUMENT));
    if (run.t.similarity_int8)
        run.verdict(validation::run(
            run.t, CompressedSimilarityCall{&one, nullptr, &c, &scale, nullptr, 1, 0},
            run.buffers(), nullptr, ENGRAM_E_INVALID_ARGUMENT));
    for (unsigned i = 0; i < run.o.random_cases; ++i) {
        const uint64_t dim = 1 + r.below(1536);
        const uint64_t n = 1 + r.below(std::min<uint64_t>(3000, 120000 / dim));
        check_compressed(run,
                         make_compressed(r, n, dim, i % 2 ? RowStyle::Mixed : RowStyle::Uniform),
                         i % 3 != 0, i % 4);
    }
}

// ----------------------------------------------------------------- spreading

struct Graph {
    uint64_t n = 0;
    std::vector<uint32_t> offsets, sources;
    std::vector<float> weights, seeds;
};

// In-degrees drawn from a power law (a few nodes with thousands of in-edges,
// most with 0-3), one hub with `hub_degree` in-edges, self-loops, duplicate
// edges and empty rows; a handful of seeds at 1.0.
Graph power_law_graph(Rand& r, uint64_t n, uint64_t hub_degree) {
    Graph g;
    g.n = n;
    g.offsets.push_back(0);
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t deg;
        if (i == n / 2)
            deg = hub_degree;
        else if (i % 11 == 3)
            deg = 0;  // empty row
        else
            deg = static_cast<uint64_t>(std::pow(r.unit() + 1e-9, -1.2)) % 2000;
        for (uint64_t e = 0; e < deg; ++e) {
            uint32_t src = static_cast<uint32_t>(r.below(n));
            if (e == 0 && i % 7 == 0) src = static_cast<uint32_t>(i);  // self-loop
            if (e == 1 && !g.sources.empty()) src = g.sources.back();  // duplicate edge
            g.sources.push_back(src);
            g.weights.push_back(r.uniform(0.05f, 1.0f));
        }
        g.offsets.push_back(static_cast<uint32_t>(g.sources.size()));
    }
    g.seeds.assign(n, 0.0f);
    for (int s = 0; s < 5; ++s) g.seeds[r.below(n)] = 1.0f;
    return g;
}

// g renumbered by descending in-degree (stable), as [store] reorder =
// "degree" does: runs of nodes of one in-degree, which SIMD kernels may sum on
// a path of their own (the avx2/avx512 short rows), so the self-test covers it.
Graph degree_ordered(const Graph& g) {
    std::vector<uint32_t> order(g.n), rank(g.n);
    for (uint64_t i = 0; i < g.n; ++i) order[i] = static_cast<uint32_t>(i);
    const auto deg = [&](uint32_t i) { return g.offsets[i + 1] - g.offsets[i]; };
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return deg(a) > deg(b); });
    for (uint64_t k = 0; k < g.n; ++k) rank[order[k]] = static_cast<uint32_t>(k);
    Graph d;
    d.n = g.n;
    d.offsets.push_back(0);
    d.seeds.resize(g.n);
    for (uint64_t k = 0; k < g.n; ++k) {
        const uint32_t i = order[k];
        for (uint32_t j = g.offsets[i]; j < g.offsets[i + 1]; ++j) {
            d.sources.push_back(rank[g.sources[j]]);
            d.weights.push_back(g.weights[j]);
        }
        d.offsets.push_back(static_cast<uint32_t>(d.sources.size()));
        d.seeds[k] = g.seeds[i];
    }
    return d;
}

void check_spread(const Runner& run, const Graph& g, engram_spread_params p, uint64_t offset) {
    const bool seal = run.o.page_guard;
    auto off = input(g.offsets, 0, seal), src = input(g.sources, offset, seal);
    auto w = input(g.weights, offset, seal), seeds = input(g.seeds, 0, false);
    const SpreadCall call{off->data(), src->data(), w->data(), g.n, p, seeds->data()};
    run.verdict(check(run.t, call, run.buffers(offset)));
    if (!run.t.spread_push) return;
    // ABI 1.2: the same through spread_push, its out-edges sealed like the rest.
    const OutEdges e = OutEdges::of(call);
    auto eo = input(e.offsets, 0, seal), et = input(e.targets, offset, seal);
    auto ew = input(e.weights, offset, seal);
    const engram_out_edges view{eo->data(), et->data(), ew->data()};
    run.verdict(check(run.t, SpreadPushCall{call, &view}, run.buffers(offset)));
}

// spread_push must refuse out-edges that name a node past the end, or that
// hold a different number of edges than the in-CSR.
void check_push_refusals(const Runner& run, const Graph& g) {
    if (!run.t.spread_push) return;
    const SpreadCall call{g.offsets.data(), g.sources.data(), g.weights.data(), g.n,
                          {2, 0.5f, 0.1f},  g.seeds.data()};
    OutEdges bad = OutEdges::of(call);
    bad.targets[bad.targets.size() / 2] = static_cast<uint32_t>(g.n);
    engram_out_edges view = bad.view();
    run.verdict(validation::run(run.t, SpreadPushCall{call, &view}, run.buffers(), nullptr,
                                ENGRAM_E_OUT_OF_RANGE));
    OutEdges short_by_one = OutEdges::of(call);
    short_by_one.offsets.back() -= 1;
    view = short_by_one.view();
    run.verdict(validation::run(run.t, SpreadPushCall{call, &view}, run.buffers(), nullptr,
                                ENGRAM_E_OUT_OF_RANGE));
}

void spreading_plan(const Runner& run, Rand& r) {
    const Graph big = power_law_graph(r, 5000, 3000);
    check_spread(run, big, {10, 0.5f, 0.0f}, 0);
    check_spread(run, big, {10, 2.0f, 0.0f}, 1);  // normalises every iteration
    check_spread(run, big, {4, 0.8f, 0.02f}, 2);  // with a threshold (skipped if too close)
    check_spread(run, big, {0, 0.5f, 0.0f}, 3);   // 0 iterations: unchanged
    check_spread(run, degree_ordered(big), {10, 0.5f, 0.0f}, 1);
    // Few sources over a threshold: spread_push pushes (ABI 1.2), and pulls
    // again once most fire.
    check_spread(run, big, {10, 0.9f, 0.05f}, 2);
    check_spread(run, degree_ordered(big), {10, 2.0f, 0.01f}, 3);
    uint64_t step = 0;
    for (uint64_t n : kEdgeLengths) {
        check_spread(run, power_law_graph(r, n, std::min<uint64_t>(n * 2, 300)), {3, 0.7f, 0.0f},
                     step++ % 4);
    }
    // A source index past the end must be refused, not skipped.
    Graph bad = power_law_graph(r, 100, 50);
    bad.sources[bad.sources.size() / 2] = 100;
    check_spread(run, bad, {2, 0.5f, 0.0f}, 0);
    check_push_refusals(run, power_law_graph(r, 100, 50));
    for (unsigned i = 0; i < run.o.random_cases; ++i) {
        const uint64_t n = 1 + r.below(3000);
        // Every other case with a threshold, where spread_push pushes.
        check_spread(run, power_law_graph(r, n, r.below(1500)),
                     {static_cast<uint32_t>(r.below(11)), r.uniform(0.1f, 1.5f),
                      i % 2 ? r.uniform(0.001f, 0.2f) : 0.0f},
                     i % 4);
    }
}

// --------------------------------------------------------------------- decay

struct DecayData {
    std::vector<float> strength, age, stability;
};

DecayData make_decay(Rand& r, uint64_t n) {
    static const float kAges[] = {0.0f, -5.0f, 1.0f, 86400.0f, 1e6f, 1e9f, 3600.0f, 12.5f, -1e9f};
    static const float kStab[] = {1.0f, 60.0f, 86400.0f, 1e6f, 1e9f, 7.0f};
    DecayData d;
    for (uint64_t i = 0; i < n; ++i) {
        d.strength.push_back(r.uniform(0.01f, 2.0f));
        d.age.push_back(i % 3 ? r.uniform(-1000.0f, 2e6f) : kAges[i % 9]);
        d.stability.push_back(i % 5 ? r.uniform(10.0f, 1e6f) : kStab[i % 6]);
    }
    return d;
}

void check_decay(const Runner& run, const DecayData& d, bool with_array, float scalar,
                 uint64_t offset) {
    const bool seal = run.o.page_guard;
    auto s = input(d.strength, offset, seal), a = input(d.age, (offset + 1) % 4, seal),
         st = input(d.stability, offset, seal);
    const DecayCall call{s->data(), a->data(), with_array ? st->data() : nullptr, scalar,
                         d.strength.size()};
    run.verdict(check(run.t, call, run.buffers(offset)));
}

void decay_plan(const Runner& run, Rand& r) {
    uint64_t step = 0;
    for (uint64_t n : kEdgeLengths) {
        const DecayData d = make_decay(r, n);
        check_decay(run, d, true, 0.0f, step % 4);       // what the host passes
        check_decay(run, d, false, 86400.0f, step % 4);  // scalar stability
        ++step;
    }
    for (unsigned i = 0; i < run.o.random_cases; ++i)
        check_decay(run, make_decay(r, 1 + r.below(20000)), i % 2 == 0,
                    i % 2 ? r.uniform(1.0f, 1e7f) : 0.0f, i % 4);
}

// --------------------------------------------------------- reentrancy, leaks

// Runs `call` on `threads` threads at once and twice in a row on this one:
// every result must have the same bits.
template <class Call>
void same_bits(const Runner& run, const char* what, Call&& call) {
    std::vector<float> first;
    run.verdict(call(&first));
    std::vector<float> again;
    run.verdict(call(&again));
    if (std::memcmp(first.data(), again.data(), first.size() * sizeof(float)) != 0 ||
        first.size() != again.size())
        throw Error(ErrorCode::SelfTestNondeterministic,
                    run.label + ": deep self-test failed (plugin '" + run.t.name + "'): " + what +
                        " gave different bits when called twice on the same inputs");
    const unsigned threads = std::max(2u, run.o.threads);
    std::vector<std::vector<float>> outs(threads);
    std::vector<Verdict> verdicts(threads);
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i)
        pool.emplace_back([&, i] { verdicts[i] = call(&outs[i]); });
    for (auto& th : pool) th.join();
    for (unsigned i = 0; i < threads; ++i) {
        run.verdict(verdicts[i]);
        if (outs[i].size() != first.size() ||
            std::memcmp(outs[i].data(), first.data(), first.size() * sizeof(float)) != 0)
            throw Error(ErrorCode::SelfTestNondeterministic,
                        run.label + ": deep self-test failed (plugin '" + run.t.name +
                            "'): " + what + " on " + std::to_string(threads) +
                            " threads at once gave different bits than alone");
    }
}

struct MemoryUse {
    uint64_t heap = 0;      // malloc'd and not freed, touched or not
    uint64_t resident = 0;  // resident pages, however they were obtained
};

MemoryUse memory_in_use() {
    const struct mallinfo2 mi = mallinfo2();
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return {mi.uordblks + mi.hblkhd,
            static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))};
}

void reentrancy_and_leaks(const Runner& run, Rand& r) {
    const SimilarityData sd = make_similarity(r, 1024, 768, RowStyle::Mixed);
    const Graph g = power_law_graph(r, 5000, 3000);
    const DecayData dd = make_decay(r, 4097);
    const BufferOptions b = run.buffers();
    const SimilarityCall sc{sd.query.data(), sd.cand.data(), sd.norms.data(), sd.n, sd.dim};
    const SpreadCall pc{g.offsets.data(), g.sources.data(), g.weights.data(), g.n,
                        {10, 0.5f, 0.0f}, g.seeds.data()};
    const DecayCall dc{dd.strength.data(), dd.age.data(), dd.stability.data(), 0.0f, 4097};
    same_bits(run, "similarity(n=1024, dim=768)",
              [&](std::vector<float>* out) { return validation::run(run.t, sc, b, out); });
    if (run.t.similarity_bf16 || run.t.similarity_int8) {
        const CompressedData cd = make_compressed(r, 1024, 768, RowStyle::Mixed);
        if (run.t.similarity_bf16) {
            const CompressedSimilarityCall c{cd.query.data(),      cd.bf16.data(), nullptr, nullptr,
                                             cd.norms_bf16.data(), cd.n,           cd.dim};
            same_bits(run, "similarity_bf16(n=1024, dim=768)",
                      [&](std::vector<float>* out) { return validation::run(run.t, c, b, out); });
        }
        if (run.t.similarity_int8) {
            const CompressedSimilarityCall c{
                cd.query.data(),      nullptr, cd.int8.data(), cd.scales.data(),
                cd.norms_int8.data(), cd.n,    cd.dim};
            same_bits(run, "similarity_int8(n=1024, dim=768)",
                      [&](std::vector<float>* out) { return validation::run(run.t, c, b, out); });
        }
    }
    same_bits(run, "spread(n=5000, power-law)",
              [&](std::vector<float>* out) { return validation::run(run.t, pc, b, out); });
    if (run.t.spread_push) {
        const SpreadCall pt{g.offsets.data(),  g.sources.data(), g.weights.data(), g.n,
                            {10, 0.5f, 0.02f}, g.seeds.data()};
        const OutEdges e = OutEdges::of(pt);
        const engram_out_edges view = e.view();
        same_bits(run, "spread_push(n=5000, power-law)", [&](std::vector<float>* out) {
            return validation::run(run.t, SpreadPushCall{pt, &view}, b, out);
        });
    }
    same_bits(run, "decay(n=4097)",
              [&](std::vector<float>* out) { return validation::run(run.t, dc, b, out); });
    if (!run.o.leak_check) return;

    // 400 small calls: a kernel that keeps even 128 KiB per call grows the
    // process by 50 MiB, far above the noise of the allocator.
    constexpr uint64_t kLimit = uint64_t{48} << 20;
    const SimilarityCall small{sd.query.data(), sd.cand.data(), sd.norms.data(), 16, sd.dim};
    const DecayCall small_decay{dd.strength.data(), dd.age.data(), dd.stability.data(), 0.0f, 257};
    std::vector<float> out;
    const MemoryUse before = memory_in_use();
    for (int i = 0; i < 200; ++i) {
        run.verdict(validation::run(run.t, small, b, &out));
        run.verdict(validation::run(run.t, small_decay, b, &out));
    }
    const MemoryUse after = memory_in_use();
    const auto growth = [](uint64_t from, uint64_t to) { return to > from ? to - from : 0; };
    const uint64_t grew =
        std::max(growth(before.heap, after.heap), growth(before.resident, after.resident));
    if (grew > kLimit)
        throw Error(ErrorCode::SelfTestLeak,
                    run.label + ": deep self-test failed (plugin '" + run.t.name +
                        "'): 400 kernel calls grew memory by " + std::to_string(grew >> 20) +
                        " MiB (limit " + std::to_string(kLimit >> 20) +
                        " MiB): the kernel keeps memory between calls");
}

}  // namespace

void run_deep_self_test(const engram_kernel_table& t, const std::string& label,
                        const DeepOptions& o) {
    const Runner run{t, label, o};
    Rand r(o.seed);
    similarity_plan(run, r);
    compressed_plan(run, r);
    spreading_plan(run, r);
    decay_plan(run, r);
    reentrancy_and_leaks(run, r);
}

}  // namespace engram::validation
