// The host's metrics, by name and Prometheus conventions (base units,
// _total for counters, _seconds / _bytes suffixes). One process-wide
// registry; series are created on first use and never removed, so a pointer
// to a series stays valid for the life of the process and the hot path never
// takes a lock once a series exists.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/histogram.h"

namespace engram::metrics {

// One (kernel, backend) pair: duration histogram, errors and non-finite
// answers. Calls are the histogram's count (every call is timed), so the hot
// path does not keep another counter.
struct KernelSeries {
    KernelSeries(std::string k, std::string b) : kernel(std::move(k)), backend(std::move(b)) {}
    const std::string kernel, backend;
    ShardedHistogram duration{kKernelBuckets};
    Counter errors;     // touched only when a call fails
    Counter nonfinite;  // touched only when an ENGRAM_OK answer held a NaN or +-Inf
    uint64_t calls() const { return duration.count(); }
};

struct HttpSeries {
    HttpSeries(std::string r, int c) : route(std::move(r)), code(c) {}
    const std::string route;
    const int code;
    Counter requests;
};

struct HttpRouteLatency {
    explicit HttpRouteLatency(std::string r) : route(std::move(r)) {}
    const std::string route;
    Histogram duration{kHttpBuckets};
};

// engram_backend_info labels, replaced as a whole on every successful load.
struct BackendInfo {
    std::string kernel, backend, version, sha256;
};

// Shadow traffic, rollouts and automatic rollbacks of one kernel.
struct RolloutSeries {
    static constexpr const char* kPhases[] = {"none",     "shadow",      "canary",
                                              "promoted", "rolled_back", "aborted"};
    static constexpr const char* kReasons[] = {"errors", "nonfinite", "latency", "mismatch"};
    Counter shadow_comparisons, shadow_mismatches, shadow_dropped;
    Counter shadow_busy;  // comparisons skipped: every usable core was serving live requests
    Gauge phase;          // index into kPhases
    Gauge step_bp;        // share of calls the candidate serves, basis points
    std::array<Counter, 4> auto_rollbacks;  // by kReasons
};

// Large requests split over the kernel pool (core/engine/kernel_pool.h).
struct ParallelSeries {
    Counter split_calls;  // calls that ran on more than one thread
    Counter busy;         // calls large enough to split that ran on one: every helper was busy
};

class Registry {
  public:
    static Registry& global();

    // Find-or-create; lock-free when the series exists (a scan of a small
    // append-only array of atomic pointers).
    KernelSeries& kernel(const char* kernel, const char* backend);
    HttpSeries& http(const std::string& route, int code);
    HttpRouteLatency& http_latency(const std::string& route);

    Counter arena_overflows;
    Gauge arena_high_water_bytes;
    Gauge arena_size_bytes;
    Gauge config_generation;
    Counter reloads_ok, reloads_failed;
    // Failed writes of the last-good config copy (E_RELOAD_STATE_WRITE).
    Counter state_write_failures;
    // Indexed by engram_kernel_id (similarity, spreading, decay).
    std::array<RolloutSeries, 3> rollout;
    // Indexed by engram_kernel_id; spreading is never split (its entry stays 0).
    std::array<ParallelSeries, 3> parallel;
    Gauge kernel_threads;  // [server] kernel_threads as the engine applied it

    void set_backend_info(std::vector<BackendInfo> info);

    // The whole registry in the Prometheus text exposition format 0.0.4.
    std::string render() const;

  private:
    void render_rollouts(std::string& out) const;
    void render_parallel(std::string& out) const;
    static constexpr size_t kMaxSeries = 256;
    template <class T>
    struct Slots {
        std::array<std::atomic<T*>, kMaxSeries> items{};
        std::atomic<size_t> size{0};
        std::vector<std::unique_ptr<T>> owned;  // guarded by Registry::mutex_
    };
    Slots<KernelSeries> kernels_;
    Slots<HttpSeries> http_;
    Slots<HttpRouteLatency> http_latency_;
    mutable std::mutex mutex_;  // creation of series and backend info only
    std::vector<BackendInfo> backend_info_;
};

}  // namespace engram::metrics
