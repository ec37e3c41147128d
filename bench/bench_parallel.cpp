// One large similarity request on 1 and on 2 kernel threads, through
// Engine::find_similar (k = 10) over a 100,000 x 768 synthetic store (293 MiB
// of embeddings, far beyond any cache), next to the memory roofline of the
// same bytes on 1 and 2 threads: the two-thread roofline streams the store's
// embeddings in two halves over the engine's own kernel pool, so it is what
// the split can reach at best. Every benchmark reports wall time (the request's
// latency), and the ratios are printed in the JSON context:
//   build/bin/engram_bench_parallel --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
// (one command line). Backend: ENGRAM_BENCH_BACKEND (default: the first of
// avx512, avx2, reference this CPU runs). Issue 16 target: 2 threads >= 1.7x
// one thread where the two-core bandwidth allows.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/engine.h"
#include "engine/kernel_pool.h"
#include "kernelset/kernel_set.h"
#include "platform/cpu_features.h"
#include "store/memory_store.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {

using namespace engram;

constexpr uint64_t kMemories = 100000, kDim = 768;

struct Fixture {
    std::shared_ptr<const MemoryStore> store = std::make_shared<const MemoryStore>(
        make_synthetic_store(kMemories, kDim, 8.0, 42, 86400.0, 0.0));
    std::shared_ptr<const KernelSet> set;
    Engine one{store, ParallelSettings{1, kDefaultSplitMinRows}};
    Engine two{store, ParallelSettings{2, kDefaultSplitMinRows}};
    KernelPool pool{2};
    std::vector<float> query;
    Fixture() {
        Config c;
        const std::string dir = ENGRAM_BENCH_PARALLEL_PLUGIN_DIR;
        for (const char* p : {"reference", "avx2", "avx512"})
            if (std::filesystem::exists(dir + "/libengram_" + p + ".so"))
                c.plugins[p] = dir + "/libengram_" + p + ".so";
        const char* want = std::getenv("ENGRAM_BENCH_BACKEND");
        if (want && *want)
            c.backends.priority = {want};
        else
            c.backends.priority = {"avx512", "avx2", "reference"};
        set = build_kernel_set(c, usable_cpu_features(), 1, nullptr);
        one.install(set);
        two.install(set);
        query.assign(store->embeddings.begin() + 123 * kDim,
                     store->embeddings.begin() + 124 * kDim);
        query[0] += 0.5f;
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_EngineSimilarity(benchmark::State& state) {
    Fixture& f = fixture();
    const Engine& e = state.range(0) == 1 ? f.one : f.two;
    for (auto _ : state) {
        const KernelAnswer a = e.find_similar(f.query, 10);
        benchmark::DoNotOptimize(a.items.data());
    }
    state.SetLabel(f.set->backend(Kernel::Similarity).name());
    state.SetBytesProcessed(state.iterations() *
                            static_cast<int64_t>(4 * (kMemories * kDim + 2 * kMemories)));
}
BENCHMARK(BM_EngineSimilarity)
    ->Name("engine_similarity/768x100000/kernel_threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if defined(__SSE2__)
// The same streaming sum as roofline_read (bench_roofline.cpp).
float stream_sum(const float* p, uint64_t count) {
    __m128 a[8];
    for (auto& v : a) v = _mm_setzero_ps();
    uint64_t i = 0;
    for (; i + 32 <= count; i += 32)
        for (int k = 0; k < 8; ++k) a[k] = _mm_add_ps(a[k], _mm_loadu_ps(p + i + 4 * k));
    float tail = 0.0f;
    for (; i < count; ++i) tail += p[i];
    for (int k = 1; k < 8; ++k) a[0] = _mm_add_ps(a[0], a[k]);
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, a[0]);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail;
}

// Reads the store's embeddings once per iteration on state.range(0) threads:
// the same 64-aligned row ranges and the same pool the engine uses.
void BM_RooflineRead(benchmark::State& state) {
    Fixture& f = fixture();
    const unsigned threads = static_cast<unsigned>(state.range(0));
    const std::vector<RowRange> ranges = split_rows(kMemories, threads);
    struct Ctx {
        const float* base;
        const RowRange* ranges;
        float sums[8];
    } ctx{f.store->embeddings.data(), ranges.data(), {}};
    for (auto _ : state) {
        KernelPool::Lease lease = f.pool.claim(threads);
        if (lease.parts() != ranges.size()) {
            state.SkipWithError("the pool had no idle helper");
            break;
        }
        lease.run(
            [](void* c, unsigned part) {
                auto& x = *static_cast<Ctx*>(c);
                const RowRange r = x.ranges[part];
                x.sums[part] += stream_sum(x.base + r.begin * kDim, (r.end - r.begin) * kDim);
            },
            &ctx);
        benchmark::DoNotOptimize(ctx.sums);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(4 * kMemories * kDim));
}
BENCHMARK(BM_RooflineRead)
    ->Name("roofline_read/768x100000/threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
