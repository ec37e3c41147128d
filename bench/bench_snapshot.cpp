// What a request pays to take the kernel-set snapshot (Engine::snapshot():
// an atomic shared_ptr load plus the release at the end of the request).
// Target: <= 50 ns uncontended. Measured with 1 and 2 threads reading, and
// with a writer publishing a new set continuously (a reload storm).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <thread>

#include "config/config.h"
#include "engine/engine.h"
#include "kernelset/kernel_set.h"
#include "platform/cpu_features.h"
#include "store/memory_store.h"

namespace {

using namespace engram;

struct Fixture {
    std::shared_ptr<const KernelSet> set;
    Engine engine;
    Fixture()
        : set([] {
              Config c;
              c.plugins["reference"] =
                  std::string(ENGRAM_BENCH_SNAPSHOT_PLUGIN_DIR) + "/libengram_reference.so";
              c.backends.priority = {"reference"};
              return build_kernel_set(c, usable_cpu_features(), 1, nullptr);
          }()),
          engine(std::make_shared<const MemoryStore>(
              make_synthetic_store(16, 8, 1, 1, 86400.0, 0.0))) {
        engine.install(set);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_Snapshot(benchmark::State& state) {
    const Engine& e = fixture().engine;
    for (auto _ : state) {
        auto s = e.snapshot();
        benchmark::DoNotOptimize(s.get());
    }
}
BENCHMARK(BM_Snapshot)->Threads(1)->Threads(2)->UseRealTime();

// Baseline: copying a plain shared_ptr (the refcount traffic alone).
void BM_SharedPtrCopy(benchmark::State& state) {
    const std::shared_ptr<const KernelSet>& p = fixture().set;
    for (auto _ : state) {
        auto s = p;
        benchmark::DoNotOptimize(s.get());
    }
}
BENCHMARK(BM_SharedPtrCopy)->Threads(1)->Threads(2)->UseRealTime();

// For comparison: the std::atomic<std::shared_ptr> Engine used before
// (replaced because TSan cannot see its lock; see engine.h).
void BM_AtomicSharedPtrLoad(benchmark::State& state) {
    static std::atomic<std::shared_ptr<const KernelSet>> a{fixture().set};
    for (auto _ : state) {
        auto s = a.load();
        benchmark::DoNotOptimize(s.get());
    }
}
BENCHMARK(BM_AtomicSharedPtrLoad)->Threads(1)->Threads(2)->UseRealTime();

// Readers while another thread installs a set as fast as it can.
void BM_SnapshotDuringInstalls(benchmark::State& state) {
    Fixture& f = fixture();
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        while (!stop.load(std::memory_order_relaxed)) f.engine.install(f.set);
    });
    for (auto _ : state) {
        auto s = f.engine.snapshot();
        benchmark::DoNotOptimize(s.get());
    }
    stop = true;
    writer.join();
}
BENCHMARK(BM_SnapshotDuringInstalls)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
