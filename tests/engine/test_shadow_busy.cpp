// Shadow comparisons use spare CPU only. With the engine's view of the
// machine narrowed to one CPU (its affinity mask when it was built), a
// comparison whose turn comes while a live call is running is skipped and
// counted in engram_shadow_busy_total, and one that finds the CPU free is
// run and compared.
#include <sched.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "engine/shadow_pool.h"
#include "engine_fixture.h"
#include "metrics/registry.h"
#include "store/memory_store.h"

using namespace engram;
using namespace engram::testing;

namespace {

// Restores the calling thread's CPU mask when the test ends.
struct PinnedToOneCpu {
    cpu_set_t saved{};
    bool ok = false;
    PinnedToOneCpu() {
        if (sched_getaffinity(0, sizeof saved, &saved) != 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &saved)) {
                CPU_SET(c, &one);
                break;
            }
        ok = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    ~PinnedToOneCpu() { sched_setaffinity(0, sizeof saved, &saved); }
};

}  // namespace

TEST_CASE("shadow work is skipped while live calls hold every usable core", "[threads]") {
    Config c = reference_config();
    c.plugins["zoo_good"] = zoo_path("good");
    c.backends.priority = {"reference"};
    auto set = build_kernel_set(c, usable_cpu_features(), 1, nullptr);
    REQUIRE(set->find("zoo_good"));

    std::unique_ptr<Engine> engine;
    {
        const PinnedToOneCpu pin;
        REQUIRE(pin.ok);
        engine = std::make_unique<Engine>(std::make_shared<const MemoryStore>(
            make_synthetic_store(20000, 64, 4, 7, 86400.0, 0.0)));
    }
    engine->install(set);
    auto r = std::make_shared<Routing>();
    KernelRoute& k = r->kernels[0];
    k.alternate = set->find("zoo_good");
    k.alternate_key = "zoo_good";
    k.alternate_series = &metrics::Registry::global().kernel("similarity", "zoo_good");
    k.compare_bp = 10000;  // every call compared
    k.serving_latency = std::make_shared<LatencyRing>();
    k.alternate_latency = std::make_shared<LatencyRing>();
    engine->install_routing(r);

    auto& m = metrics::Registry::global().rollout[0];
    const std::vector<float> q(64, 0.25f);
    const uint64_t busy0 = m.shadow_busy.value();
    {
        // Two threads keep a live call running almost all the time.
        std::atomic<bool> stop{false};
        std::vector<std::thread> live;
        for (int t = 0; t < 2; ++t)
            live.emplace_back([&] {
                while (!stop) engine->find_similar(q, 5);
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        stop = true;
        for (auto& t : live) t.join();
    }
    engine->drain_shadow();
    CHECK(engine->shadow_idle());
    CHECK(m.shadow_busy.value() > busy0);

    // Alone, a call's comparison finds the CPU free and runs.
    const uint64_t compared0 = m.shadow_comparisons.value();
    for (int i = 0; i < 50 && m.shadow_comparisons.value() == compared0; ++i) {
        engine->find_similar(q, 5);
        engine->drain_shadow();
    }
    CHECK(m.shadow_comparisons.value() > compared0);
    CHECK(m.shadow_mismatches.value() == 0);
}

TEST_CASE("the shadow pool reports idle only with no job queued or running", "[threads]") {
    ShadowPool pool(2);
    CHECK(pool.idle());
    std::atomic<bool> release{false}, started{false};
    REQUIRE(pool.try_submit([&] {
        started = true;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }));
    REQUIRE(pool.try_submit([] {}));  // queued behind the first
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK_FALSE(pool.idle());  // one running, one queued
    release = true;
    pool.drain();
    CHECK(pool.idle());
}
