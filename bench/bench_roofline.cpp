// roofline_read/768x<n>: a memory reference point for the batch-similarity
// workloads. Streams the same n x 768 candidate matrix once per call, summing
// it with 16-byte SSE2 loads (baseline x86-64, no -m flag) and eight
// independent accumulators, with no other work. Batch similarity reads these
// bytes once per call too, so a contender close to this is bandwidth-bound.
// It is not a hard upper bound: wider loads keep more cache lines in flight
// and can beat it where the data sits in L3 (see docs/benchmarks/kernels.md).
// roofline_read_2t/768x100000: the same 100k matrix read by two threads at
// once, one half each (the two-core bandwidth; engram_bench_parallel has the
// same pair next to the engine's split similarity).
#include <benchmark/benchmark.h>

#include <iterator>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"

#if defined(__SSE2__)
#include <emmintrin.h>

namespace engram::bench {
namespace {

float stream_sum(const float* p, uint64_t count) {
    __m128 a[8];
    for (auto& v : a) v = _mm_setzero_ps();
    uint64_t i = 0;
    for (; i + 32 <= count; i += 32)
        for (int k = 0; k < 8; ++k) a[k] = _mm_add_ps(a[k], _mm_load_ps(p + i + 4 * k));
    float tail = 0.0f;
    for (; i < count; ++i) tail += p[i];
    for (int k = 1; k < 8; ++k) a[0] = _mm_add_ps(a[0], a[k]);
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, a[0]);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail;
}

void bm_read(benchmark::State& state, uint64_t n) {
    const SimilarityData& s = similarity_data(n);  // 64-byte aligned
    float sink = 0.0f;
    for (auto _ : state) {
        sink += stream_sum(s.candidates.data(), n * s.dim);
        consume(&sink);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(4 * n * s.dim));
}

// The same bytes read by two threads at once, each its own contiguous half
// (rows split on a multiple of 64, as the engine splits a large request):
// the two-core bandwidth a split similarity request can reach at best.
// Wall time; bytes are counted once per iteration for the pair.
void bm_read_threads(benchmark::State& state, uint64_t n) {
    const SimilarityData& s = similarity_data(n);
    const uint64_t half = (n / 2 + 63) / 64 * 64;
    const bool first = state.thread_index() == 0;
    const uint64_t begin = first ? 0 : half, end = first ? half : n;
    float sink = 0.0f;
    for (auto _ : state) {
        sink += stream_sum(s.candidates.data() + begin * s.dim, (end - begin) * s.dim);
        consume(&sink);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(end - begin));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(4 * (end - begin) * s.dim));
}

}  // namespace

void register_roofline_benchmarks() {
    for (uint64_t n : kSimilarityCounts) {
        if (n < 1000) continue;  // a single row is latency, not bandwidth
        const std::string name = "roofline_read/" + std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), bm_read, n);
    }
    // roofline_read_2t/768x100000/real_time/threads:2 (issue 16), next to the
    // one-thread roofline_read/768x100000.
    const uint64_t n = kSimilarityCounts[std::size(kSimilarityCounts) - 1];
    const std::string name = "roofline_read_2t/" + std::to_string(kDim) + "x" + std::to_string(n);
    benchmark::RegisterBenchmark(name.c_str(), bm_read_threads, n)->Threads(2)->UseRealTime();
}

}  // namespace engram::bench
#else
namespace engram::bench {
void register_roofline_benchmarks() {}
}  // namespace engram::bench
#endif
