// Lock-free Prometheus-style histogram and counter. Recording is a bucket
// search plus two relaxed atomic adds: no lock, no allocation, safe from any
// thread. Reads (for /metrics) are racy-but-consistent-enough snapshots, as
// Prometheus client libraries also do.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

namespace engram::metrics {

class Counter {
  public:
    void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

class Gauge {
  public:
    void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
    // Raises the gauge to v if v is larger (high-water marks).
    void raise_to(int64_t v) {
        int64_t cur = v_.load(std::memory_order_relaxed);
        while (v > cur && !v_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
        }
    }
    int64_t value() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<int64_t> v_{0};
};

// Buckets in seconds, from 100 ns to 100 ms in a 1-2.5-5 progression: kernel
// calls on this host span that whole range (a single 768-d pair to a 100k
// candidate scan).
inline constexpr std::array<double, 19> kKernelBuckets = {
    1e-7,   2.5e-7, 5e-7, 1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,
    2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   1e-2, 2.5e-2, 5e-2,   1e-1};
// HTTP requests: 10 us to 10 s.
inline constexpr std::array<double, 19> kHttpBuckets = {
    1e-5,   2.5e-5, 5e-5, 1e-4,   2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2,
    2.5e-2, 5e-2,   1e-1, 2.5e-1, 5e-1,   1.0,  2.5,  5.0,    10.0};

// The calling thread's shard, 0..n-1: threads take indices round-robin on
// first use, so up to n threads never share a shard.
inline size_t thread_shard(size_t n) {
    static std::atomic<size_t> next{0};
    thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed);
    return mine % n;
}

// A Prometheus histogram recorded in whole nanoseconds (exact, and no float
// maths on the hot path). With Shards > 1 every thread records into its own
// cache-line-aligned shard, so threads timing kernels at once do not bounce
// one line between cores (that contention measured 132 ns per record with a
// single shard on 2 threads); readers sum the shards.
template <size_t Shards>
class BasicHistogram {
  public:
    static constexpr size_t kBuckets = 19;
    static constexpr size_t kShards = Shards;
    explicit BasicHistogram(const std::array<double, kBuckets>& bounds) : bounds_(bounds) {
        for (size_t i = 0; i < kBuckets; ++i)
            bounds_ns_[i] = static_cast<uint64_t>(bounds[i] * 1e9 + 0.5);
    }

    void observe_ns(uint64_t ns) {
        size_t i = 0;
        while (i < kBuckets && ns > bounds_ns_[i]) ++i;  // 19 compares beat a branchy bisection
        Shard& s = Shards == 1 ? shards_[0] : shards_[thread_shard(Shards)];
        s.counts[i].fetch_add(1, std::memory_order_relaxed);
        s.sum_ns.fetch_add(ns, std::memory_order_relaxed);
    }

    const std::array<double, kBuckets>& bounds() const { return bounds_; }
    // Non-cumulative count of bucket i (i == kBuckets is +Inf).
    uint64_t bucket(size_t i) const {
        uint64_t n = 0;
        for (const Shard& s : shards_) n += s.counts[i].load(std::memory_order_relaxed);
        return n;
    }
    uint64_t sum_ns() const {
        uint64_t n = 0;
        for (const Shard& s : shards_) n += s.sum_ns.load(std::memory_order_relaxed);
        return n;
    }
    uint64_t count() const {
        uint64_t n = 0;
        for (size_t i = 0; i <= kBuckets; ++i) n += bucket(i);
        return n;
    }

  private:
    struct alignas(64) Shard {
        std::array<std::atomic<uint64_t>, kBuckets + 1> counts{};
        std::atomic<uint64_t> sum_ns{0};
    };
    std::array<double, kBuckets> bounds_;
    std::array<uint64_t, kBuckets> bounds_ns_{};
    std::array<Shard, Shards> shards_{};
};

using Histogram = BasicHistogram<1>;          // HTTP latency: one line is enough
using ShardedHistogram = BasicHistogram<16>;  // kernel calls: the hot path

}  // namespace engram::metrics
