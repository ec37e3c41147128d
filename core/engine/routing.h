// How the engine splits one kernel's calls between its serving backend and an
// alternate one, published like the kernel set (an immutable snapshot the
// rollout controller replaces as a whole):
//   - serve_bp of every 10,000 calls are answered by the alternate (a canary
//     step);
//   - compare_bp of every 10,000 calls also run the other backend off the
//     response path, on the engine's bounded shadow pool; the two answers are
//     compared (validation/agreement.h) and only the one that was chosen to
//     serve is ever returned (shadow traffic, canary checks, the watchdog's
//     comparison with the previous generation).
// Latency rings keep each call's CPU time (thread CPU clock) on both sides
// while a route is active, so an analysis can take a real p99 over its own
// window that scheduling noise on a busy host does not move.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "loader/plugin.h"
#include "metrics/registry.h"

namespace engram {

// The last 4096 call durations (ns, saturated at 4 s), lock-free.
class LatencyRing {
  public:
    static constexpr uint64_t kSize = 4096;
    void record(uint64_t ns) {
        const uint64_t i = next_.fetch_add(1, std::memory_order_relaxed);
        slots_[i % kSize].store(static_cast<uint32_t>(ns > 0xFFFFFFFFull ? 0xFFFFFFFFull : ns),
                                std::memory_order_relaxed);
    }
    uint64_t recorded() const { return next_.load(std::memory_order_relaxed); }
    // The durations recorded since recorded() returned `since` (at most the
    // last kSize of them).
    std::vector<uint32_t> since(uint64_t since) const {
        const uint64_t end = recorded();
        const uint64_t begin = end - std::min(end - std::min(since, end), kSize);
        std::vector<uint32_t> out;
        out.reserve(end - begin);
        for (uint64_t i = begin; i < end; ++i)
            out.push_back(slots_[i % kSize].load(std::memory_order_relaxed));
        return out;
    }

  private:
    std::atomic<uint64_t> next_{0};
    std::array<std::atomic<uint32_t>, kSize> slots_{};
};

// The comparisons one rollout (or one watchdog window) asked for, counted
// by the shadow jobs it sampled. A job sampled under an earlier rollout that
// finishes after the next one started adds to its own rollout's tally, never
// to the new candidate's window (the registry's per-kernel counters, which
// /metrics exports, cannot tell the two apart).
struct ShadowTally {
    std::atomic<uint64_t> comparisons{0}, mismatches{0};
};

struct KernelRoute {
    std::shared_ptr<const Plugin> alternate;  // null: the route is off
    std::string alternate_key;                // its [plugins] name, for answers and logs
    metrics::KernelSeries* alternate_series = nullptr;
    uint32_t serve_bp = 0;    // 0..10000
    uint32_t compare_bp = 0;  // 0..10000
    std::shared_ptr<LatencyRing> serving_latency, alternate_latency;
    std::shared_ptr<ShadowTally> tally;  // set with compare_bp > 0
    // Off: every call goes to the serving backend untimed beyond the metrics.
    bool active() const { return alternate || serving_latency; }
};

struct Routing {
    std::array<KernelRoute, 3> kernels;
};

}  // namespace engram
