#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "metrics/registry.h"
#include "platform/tick_clock.h"

using namespace engram::metrics;

TEST_CASE("histogram buckets are cumulative in the exposition, with sum and count") {
    Histogram h(kKernelBuckets);
    h.observe_ns(50);           // < 100 ns
    h.observe_ns(100);          // == 100 ns: le="1e-07" is inclusive
    h.observe_ns(3'000);        // 3 us
    h.observe_ns(500'000'000);  // 0.5 s: +Inf
    CHECK(h.bucket(0) == 2);
    CHECK(h.bucket(Histogram::kBuckets) == 1);
    CHECK(h.sum_ns() == 500'003'150);
}

TEST_CASE("the sharded kernel histogram sums its shards, with more threads than shards") {
    ShardedHistogram h(kKernelBuckets);
    const int threads =
        static_cast<int>(ShardedHistogram::kShards) + 4;  // some threads share a shard
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                h.observe_ns(50);
                h.observe_ns(3'000);
            }
        });
    for (auto& t : ts) t.join();
    CHECK(h.bucket(0) == 1000u * threads);
    CHECK(h.bucket(5) == 1000u * threads);  // 2.5 us < 3 us <= 5 us
    CHECK(h.count() == 2000u * threads);
    CHECK(h.sum_ns() == 3050u * 1000u * threads);
}

TEST_CASE("kernel series are found again without duplicates, from many threads") {
    Registry& r = Registry::global();
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 1000; ++i)
                r.kernel("similarity", "metrics_test").duration.observe_ns(1000);
        });
    for (auto& t : ts) t.join();
    auto& s = r.kernel("similarity", "metrics_test");
    CHECK(&s == &r.kernel("similarity", "metrics_test"));
    CHECK(s.calls() == 4000);
    const std::string text = r.render();
    CHECK_THAT(
        text,
        Catch::Contains(
            "engram_kernel_calls_total{kernel=\"similarity\",backend=\"metrics_test\"} 4000"));
    CHECK_THAT(text, Catch::Contains("engram_kernel_duration_seconds_bucket{kernel=\"similarity\","
                                     "backend=\"metrics_test\",le=\"+Inf\"} 4000"));
}

TEST_CASE("the exposition passes promtool check metrics") {
    Registry& r = Registry::global();
    r.kernel("decay", "promtool_test").duration.observe_ns(2'000);
    r.http("/v1/similar", 200).requests.add(3);
    r.http_latency("/v1/similar").duration.observe_ns(123456);
    r.set_backend_info({{"decay", "reference", "1.0.0", "abc\"def"}});
    r.reloads_ok.add();
    const std::string text = r.render();
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        FAIL("promtool is not installed (tools/deps.sh installs package prometheus)");
    }
    const std::string file = "/tmp/engram-metrics-" + std::to_string(::getpid()) + ".txt";
    std::ofstream(file) << text;
    const int rc =
        std::system(("promtool check metrics < " + file + " > " + file + ".out 2>&1").c_str());
    std::ifstream in(file + ".out");
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(out);
    CHECK(rc == 0);
    std::remove(file.c_str());
    std::remove((file + ".out").c_str());
}

TEST_CASE("the tick clock measures a sleep as at least its length") {
    // Not a performance claim: a check that the TSC calibration (or the
    // steady_clock fallback) converts ticks to nanoseconds at the right rate.
    const auto& c = engram::tick_clock::calibration();
    INFO("clock: " << (c.tsc ? "tsc" : "steady_clock") << ", ns per tick " << c.ns_per_tick);
    const uint64_t a = engram::tick_clock::now(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t ns = engram::tick_clock::to_ns(c, engram::tick_clock::now(c) - a);
    CHECK(ns >= 19'900'000);    // sleep_for never returns early; 0.5% for calibration error
    CHECK(ns < 5'000'000'000);  // a wrong rate would be off by a factor, not by scheduling noise
}
