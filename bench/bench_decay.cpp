// decay/<backend>/<n>: strength * exp(-max(age, 0) / stability) over n
// memories, each with its own stability.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "bench_test_knobs.h"

namespace engram::bench {
namespace {

void bm_decay(benchmark::State& state, const Backend* backend, uint64_t n) {
    const DecayData& d = decay_data(n);
    const engram_kernel_table* table = backend->table;
    const engram_shape shape{n, 0, 0};
    const uint64_t cap = table->scratch_bytes(ENGRAM_KERNEL_DECAY, &shape);
    AlignedArray<unsigned char> scratch(cap);
    AlignedArray<float> out(n);
    if (table->decay(d.strength.data(), d.age.data(), d.stability.data(), 0.0f, n, out.data(),
                     scratch.data(), cap) != ENGRAM_OK) {
        state.SkipWithError("decay returned an error status");
        return;
    }
    engram_status bad = ENGRAM_OK;
    const TestSlowdown slow(backend->name);  // off unless a test asks
    for (auto _ : state) {
        const uint64_t t0 = slow.begin();
        const engram_status st = table->decay(d.strength.data(), d.age.data(), d.stability.data(),
                                              0.0f, n, out.data(), scratch.data(), cap);
        slow.end(t0);
        bad |= st;
        consume(out.data());
    }
    if (bad != ENGRAM_OK) state.SkipWithError("decay returned an error status");
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * decay_bytes(n));
}

}  // namespace

void register_decay_benchmarks() {
    for (const Backend& b : backends()) {
        for (uint64_t n : kDecayCounts) {
            const std::string name = "decay/" + b.name + "/" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), bm_decay, &b, n);
        }
    }
}

}  // namespace engram::bench
