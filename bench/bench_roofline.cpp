// roofline_read/768x<n>: a memory reference point for the batch-similarity
// workloads. Streams the same n x 768 candidate matrix once per call, summing
// it with 16-byte SSE2 loads (baseline x86-64, no -m flag) and eight
// independent accumulators, with no other work. Batch similarity reads these
// bytes once per call too, so a contender close to this is bandwidth-bound.
// It is not a hard upper bound: wider loads keep more cache lines in flight
// and can beat it where the data sits in L3 (see docs/benchmarks/kernels.md).
#include <benchmark/benchmark.h>

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

}  // namespace

void register_roofline_benchmarks() {
    for (uint64_t n : kSimilarityCounts) {
        if (n < 1000) continue;  // a single row is latency, not bandwidth
        const std::string name = "roofline_read/" + std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), bm_read, n);
    }
}

}  // namespace engram::bench
#else
namespace engram::bench {
void register_roofline_benchmarks() {}
}  // namespace engram::bench
#endif
