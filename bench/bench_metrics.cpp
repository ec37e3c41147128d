// What recording one kernel call in the metrics costs (issue 5 target:
// <= 30 ns per call, lock-free). KernelTimer is exactly what the engine wraps
// around every kernel call: two steady_clock reads, the (kernel, backend)
// series lookup, a bucket search and three relaxed atomic adds. The empty
// timed body isolates that cost; BM_ClockPair shows how much of it is the
// clock alone. Run with 1 and 2 threads to see contention on the counters.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "engine/kernel_timer.h"

namespace {

using namespace engram;

// A stand-in plugin: KernelTimer only reads its name.
class NamedPlugin final : public Plugin {
public:
    NamedPlugin() {
        table_.struct_size = sizeof table_;
        table_.name = "bench_metrics";
    }
    const std::filesystem::path& path() const override { return path_; }
    const engram_kernel_table& table() const override { return table_; }
    const std::string& sha256() const override { return sha_; }

private:
    std::filesystem::path path_{"bench"};
    engram_kernel_table table_{};
    std::string sha_{"0"};
};

void BM_KernelTimer(benchmark::State& state) {
    static const NamedPlugin plugin;
    for (auto _ : state) {
        engram_status st = ENGRAM_OK;
        KernelTimer timer(Kernel::Similarity, plugin, st);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KernelTimer)->Threads(1)->Threads(2)->UseRealTime();

void BM_ClockPair(benchmark::State& state) {
    for (auto _ : state) {
        const auto a = std::chrono::steady_clock::now();
        const auto b = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize((b - a).count());
    }
}
BENCHMARK(BM_ClockPair)->Threads(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
