// spreading/<backend>/<n>x8: 10 synchronous iterations over a CSR of in-edges
// (average in-degree 8, power-law-ish), decay 0.5, threshold 0.01, eight
// seeds. spreading/<backend>/rmat100000x10: the same over an R-MAT graph of
// 100,000 nodes and 1,000,000 edges (bench_fixtures.h), and
// .../rmat100000x10_degree: that graph renumbered by descending in-degree as
// [store] reorder = "degree" does. spreading/<backend>/wordnet_nouns and
// .../wordnet_nouns_degree: the same over the WordNet 3.0 noun graph (82,115
// synsets, 231,535 pointers; bench_fixtures.h), registered when its file has
// been made (bench/make_wordnet_fixture.py --graph-only --out build/scratch).
// spreading_push/<backend>/<workload>: the same calls through ABI 1.2
// spread_push, given the graph's out-edges as well (common/csr_transpose.h,
// built once outside the timing, as the store builds them at load), for the
// backends that offer it: what engramd serves for them.
// The kernel updates activation in place, so each timed call starts with a
// copy of the seeds (n floats, under 2% of the bytes a call moves); the
// GraphBLAS peer pays the same copy.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "bench_test_knobs.h"
#include "common/csr_transpose.h"

namespace engram::bench {
namespace {

void bm_spreading(benchmark::State& state, const Backend* backend, const SpreadWorkload* w,
                  bool push) {
    const SpreadData& g = w->data();
    if (g.n == 0) {
        state.SkipWithError("workload data could not be read");
        return;
    }
    const engram_kernel_table* table = backend->table;
    std::vector<uint32_t> out_offsets, targets;
    std::vector<float> out_weights;
    if (push) {
        out_offsets.resize(g.n + 1);
        targets.resize(g.m);
        out_weights.resize(g.m);
        transpose_csr(g.offsets.data(), g.sources.data(), g.weights.data(), g.n, out_offsets.data(),
                      targets.data(), out_weights.data());
    }
    const engram_out_edges out{out_offsets.data(), targets.data(), out_weights.data()};
    const auto call = [&](float* act, void* scratch, uint64_t cap) {
        return push ? table->spread_push(g.offsets.data(), g.sources.data(), g.weights.data(), &out,
                                         g.n, &g.params, act, scratch, cap)
                    : table->spread(g.offsets.data(), g.sources.data(), g.weights.data(), g.n,
                                    &g.params, act, scratch, cap);
    };
    const engram_shape shape{g.n, 0, g.m};
    const uint64_t cap =
        table->scratch_bytes(push ? ENGRAM_KERNEL_SPREAD_PUSH : ENGRAM_KERNEL_SPREADING, &shape);
    AlignedArray<unsigned char> scratch(cap);
    AlignedArray<float> act(g.n);
    std::memcpy(act.data(), g.seeds.data(), g.n * sizeof(float));
    if (call(act.data(), scratch.data(), cap) != ENGRAM_OK) {
        state.SkipWithError("spread returned an error status");
        return;
    }
    engram_status bad = ENGRAM_OK;
    const TestSlowdown slow(backend->name);  // off unless a test asks
    for (auto _ : state) {
        std::memcpy(act.data(), g.seeds.data(), g.n * sizeof(float));
        const uint64_t t0 = slow.begin();
        const engram_status st = call(act.data(), scratch.data(), cap);
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
            benchmark::RegisterBenchmark(name.c_str(), bm_spreading, &b, &w, false);
        }
        if (!b.table->spread_push) continue;
        for (const SpreadWorkload& w : workloads) {
            const std::string name = "spreading_push/" + b.name + "/" + w.name;
            benchmark::RegisterBenchmark(name.c_str(), bm_spreading, &b, &w, true);
        }
    }
}

}  // namespace engram::bench
