// spreading/<backend>/<n>x8: 10 synchronous iterations over a CSR of in-edges
// (average in-degree 8, power-law-ish), decay 0.5, threshold 0.01, eight
// seeds. spreading/<backend>/rmat100000x10: the same over an R-MAT graph of
// 100,000 nodes and 1,000,000 edges (bench_fixtures.h), and
// .../rmat100000x10_degree: that graph renumbered by descending in-degree as
// [store] reorder = "degree" does. spreading/<backend>/wordnet_nouns and
// .../wordnet_nouns_degree: the same over the WordNet 3.0 noun graph (82,115
// synsets, 231,535 pointers; bench_fixtures.h), registered when its file has
// been made (bench/make_wordnet_fixture.py --graph-only --out build/scratch).
// The kernel updates activation in place, so each timed call starts with a
// copy of the seeds (n floats, under 2% of the bytes a call moves); the
// GraphBLAS peer pays the same copy.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "bench_test_knobs.h"

namespace engram::bench {
namespace {

void bm_spreading(benchmark::State& state, const Backend* backend, const SpreadWorkload* w) {
    const SpreadData& g = w->data();
    if (g.n == 0) {
        state.SkipWithError("workload data could not be read");
        return;
    }
    const engram_kernel_table* table = backend->table;
    const engram_shape shape{g.n, 0, g.m};
    const uint64_t cap = table->scratch_bytes(ENGRAM_KERNEL_SPREADING, &shape);
    AlignedArray<unsigned char> scratch(cap);
    AlignedArray<float> act(g.n);
    std::memcpy(act.data(), g.seeds.data(), g.n * sizeof(float));
    if (table->spread(g.offsets.data(), g.sources.data(), g.weights.data(), g.n, &g.params,
                      act.data(), scratch.data(), cap) != ENGRAM_OK) {
        state.SkipWithError("spread returned an error status");
        return;
    }
    engram_status bad = ENGRAM_OK;
    const TestSlowdown slow(backend->name);  // off unless a test asks
    for (auto _ : state) {
        std::memcpy(act.data(), g.seeds.data(), g.n * sizeof(float));
        const uint64_t t0 = slow.begin();
        const engram_status st = table->spread(g.offsets.data(), g.sources.data(), g.weights.data(),
                                               g.n, &g.params, act.data(), scratch.data(), cap);
        slow.end(t0);
        bad |= st;
        consume(act.data());
    }
    if (bad != ENGRAM_OK) state.SkipWithError("spread returned an error status");
    state.SetItemsProcessed(state.iterations() * spread_items(g));
    state.SetBytesProcessed(state.iterations() * spread_bytes(g));
}

}  // namespace

void register_spreading_benchmarks() {
    static const std::vector<SpreadWorkload> workloads = spread_workloads();
    for (const Backend& b : backends()) {
        for (const SpreadWorkload& w : workloads) {
            const std::string name = "spreading/" + b.name + "/" + w.name;
            benchmark::RegisterBenchmark(name.c_str(), bm_spreading, &b, &w);
        }
    }
}

}  // namespace engram::bench
