// What recording one kernel call in the metrics costs (issue 5 target:
// <= 30 ns per call, lock-free). BM_KernelTimer is exactly what the engine
// wraps around every kernel call: two tick-clock reads, a bucket search and
// two relaxed atomic adds into the thread's shard of the series the kernel
// set resolved. The empty timed body isolates that cost. The other rows
// split it: BM_Record is the series update alone, BM_TickPair the clock
// alone, BM_SteadyClockPair the clock we would otherwise use. Run with 1 and
// 2 threads to see whether the threads contend.
#include <benchmark/benchmark.h>

#include <chrono>

#include "engine/kernel_timer.h"

namespace {

using namespace engram;

metrics::KernelSeries& bench_series() {
    static metrics::KernelSeries& s =
        metrics::Registry::global().kernel("similarity", "bench_metrics");
    return s;
}

void BM_KernelTimer(benchmark::State& state) {
    metrics::KernelSeries& series = bench_series();
    for (auto _ : state) {
        engram_status st = ENGRAM_OK;
        KernelTimer timer(series, st);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KernelTimer)->Threads(1)->Threads(2)->UseRealTime();

void BM_Record(benchmark::State& state) {
    metrics::KernelSeries& series = bench_series();
    uint64_t ns = 600'000;  // a 10k x 768 similarity call
    for (auto _ : state) {
        series.duration.observe_ns(ns);
        benchmark::DoNotOptimize(ns);
    }
}
BENCHMARK(BM_Record)->Threads(1)->Threads(2)->UseRealTime();

void BM_TickPair(benchmark::State& state) {
    const tick_clock::Calibration& c = tick_clock::calibration();
    for (auto _ : state) {
        const uint64_t a = tick_clock::now(c);
        const uint64_t b = tick_clock::now(c);
        benchmark::DoNotOptimize(tick_clock::to_ns(c, b - a));
    }
    state.SetLabel(c.tsc ? "tsc" : "steady_clock");
}
BENCHMARK(BM_TickPair)->Threads(1)->UseRealTime();

void BM_SteadyClockPair(benchmark::State& state) {
    for (auto _ : state) {
        const auto a = std::chrono::steady_clock::now();
        const auto b = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize((b - a).count());
    }
}
BENCHMARK(BM_SteadyClockPair)->Threads(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
