// similarity/<backend>/768x<n>: one 768-d query against n candidates with
// their norms supplied (as the store calls it), through the loaded plugin's
// table; n = 1 is the single-pair path.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "bench_test_knobs.h"

namespace engram::bench {
namespace {

void bm_similarity(benchmark::State& state, const Backend* backend, uint64_t n) {
    const SimilarityData& s = similarity_data(n);
    const engram_kernel_table* table = backend->table;
    const engram_shape shape{n, s.dim, 0};
    const uint64_t cap = table->scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape);
    AlignedArray<unsigned char> scratch(cap);
    AlignedArray<float> scores(n);
    if (table->similarity(s.query.data(), s.candidates.data(), s.norms.data(), n, s.dim,
                          scores.data(), scratch.data(), cap) != ENGRAM_OK) {
        state.SkipWithError("similarity returned an error status");
        return;
    }
    engram_status bad = ENGRAM_OK;
    const TestSlowdown slow(backend->name);  // off unless a test asks
    for (auto _ : state) {
        const uint64_t t0 = slow.begin();
        const engram_status st =
            table->similarity(s.query.data(), s.candidates.data(), s.norms.data(), n, s.dim,
                              scores.data(), scratch.data(), cap);
        slow.end(t0);
        bad |= st;
        consume(scores.data());
    }
    if (bad != ENGRAM_OK) state.SkipWithError("similarity returned an error status");
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * similarity_bytes(n, s.dim));
}

}  // namespace

void register_similarity_benchmarks() {
    for (const Backend& b : backends()) {
        for (uint64_t n : kSimilarityCounts) {
            const std::string name =
                "similarity/" + b.name + "/" + std::to_string(kDim) + "x" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), bm_similarity, &b, n);
        }
    }
}

}  // namespace engram::bench
