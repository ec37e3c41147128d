// The engine: the three kernels applied to the memory store, through the
// kernel-set snapshot that is current when a call starts. It validates every
// argument (a bad request is an E_BAD_REQUEST error, never a wrong answer)
// and never reaches into the loader: plugins arrive only inside a KernelSet.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/kernel_pool.h"
#include "engine/routing.h"
#include "engine/shadow_pool.h"
#include "kernelset/kernel_set.h"
#include "store/memory_store.h"
#include "validation/agreement.h"

namespace engram {

struct Scored {
    uint32_t id;
    float value;
};

struct KernelAnswer {
    std::vector<Scored> items;  // best first
    std::string backend;        // plugin name that computed it
    uint64_t generation = 0;    // kernel-set generation that served it
};

struct SpreadRequest {
    std::vector<uint32_t> seeds;  // activation 1.0 on entry
    uint32_t iterations = 3;
    float decay = 0.5f;
    float threshold = 0.01f;
    uint32_t top = 10;
};

// One compared call whose two answers disagreed (the engine keeps the last 32).
struct MismatchExample {
    double unix_time = 0;
    std::string kernel, serving, candidate;  // backends: the set's serving one and the alternate
    std::string digest;                      // FNV-1a of the request's inputs
    std::string what;                        // where and how they differ
};

class ArenaScope;

class Engine {
  public:
    static constexpr uint32_t kMaxK = 1000;
    static constexpr uint32_t kMaxIterations = 1000;
    static constexpr float kMaxSpreadDecay = 1000.0f;

    // `parallel`: how large similarity and decay requests are split over
    // threads (kernel_pool.h); the pool's threads start here.
    explicit Engine(std::shared_ptr<const MemoryStore> store, ParallelSettings parallel = {});
    ~Engine();

    // Publishes a new kernel set; calls already running finish on the old.
    void install(std::shared_ptr<const KernelSet> set);
    // The current set (null before the first install).
    std::shared_ptr<const KernelSet> snapshot() const;
    // Publishes how calls are split with alternates (rollouts, watchdog);
    // null: every call goes to the set's serving backend.
    void install_routing(std::shared_ptr<const Routing> routing);
    std::shared_ptr<const Routing> routing() const;
    // The last mismatches of compared calls, oldest first.
    std::vector<MismatchExample> mismatches() const;
    // Waits until every queued comparison has run (tests, drills).
    void drain_shadow() const;
    bool shadow_idle() const { return shadow_pool_.idle(); }
    const MemoryStore& store() const { return *store_; }
    const ParallelSettings& parallel() const { return parallel_; }

    // Top-k memories by cosine similarity to `query` (length store().dim).
    KernelAnswer find_similar(std::span<const float> query, uint32_t k) const;
    // Spreading activation from the seeds; the `top` most active memories.
    KernelAnswer spread(const SpreadRequest& request) const;
    // Retention of each id at unix time `now`, in request order.
    KernelAnswer retention(std::span<const uint32_t> ids, double now) const;

  private:
    static constexpr size_t kMismatchRing = 32;
    struct View {
        std::shared_ptr<const KernelSet> set;
        std::shared_ptr<const Routing> routing;
    };
    struct Side {
        const Plugin* plugin = nullptr;
        metrics::KernelSeries* series = nullptr;
        LatencyRing* ring = nullptr;
    };
    struct Pick {
        Side chosen, other;
        bool alternate_served = false, compare = false;
    };
    // Counts a live call for its whole duration: shadow work runs only on
    // cores no live call is using.
    class InFlight {
      public:
        // `calls`: a split call counts once per thread it runs on.
        explicit InFlight(std::atomic<int>& n, int calls = 1) : n_(n), calls_(calls) {
            n_.fetch_add(calls_);
        }
        ~InFlight() { n_.fetch_sub(calls_); }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;

      private:
        std::atomic<int>& n_;
        const int calls_;
    };
    // Every usable core has a live call. On a one-core host the calling
    // request is not counted (it would always be busy): its comparison is
    // queued, and the worker runs it only when no live call is running.
    // A shadow job that finds every core busy looks again this many times,
    // this far apart (2 ms in all), before it is skipped.
    static constexpr int kShadowBusyLooks = 10;
    static constexpr std::chrono::microseconds kShadowBusyPause{200};
    bool busy(bool from_live_call) const {
        int live = in_flight_.load(std::memory_order_relaxed);
        if (from_live_call && cores_ == 1) --live;
        return live >= cores_;
    }
    View view() const;
    // The kernel pool's idle helpers for a request of `rows` rows, if it is
    // large enough to split (an empty lease otherwise, or when all are busy).
    KernelPool::Lease lease_for(Kernel k, uint64_t rows) const;
    Pick pick(const View& v, Kernel k) const;
    void submit_shadow(
        const View& v, Kernel k, const Pick& p, std::vector<float> served, std::string digest,
        std::function<void(const Side&, ArenaScope&, float*)> run_other,
        std::function<std::optional<validation::Disagreement>(const float*, const float*)> agree)
        const;

    std::shared_ptr<const MemoryStore> store_;
    ParallelSettings parallel_;
    mutable KernelPool kernel_pool_;
    // A mutex-guarded shared_ptr rather than std::atomic<std::shared_ptr>:
    // libstdc++ 12 implements the latter with a lock bit that ThreadSanitizer
    // cannot see, so every reload under load was reported as a data race on
    // the stored pointer. The critical section is one pointer copy and one
    // refcount increment; the cost is measured in bench/bench_snapshot.cpp
    // and docs/operations/http-performance.md.
    mutable std::mutex set_mutex_;
    std::shared_ptr<const KernelSet> set_;
    std::shared_ptr<const Routing> routing_;
    mutable std::mutex ring_mutex_;
    mutable std::deque<MismatchExample> ring_;
    mutable std::atomic<int> in_flight_{0};  // live kernel calls running now
    const int cores_;                        // CPUs this process may run on
    // Last: destroyed (queue dropped, worker joined) before what jobs use.
    mutable ShadowPool shadow_pool_;
};

}  // namespace engram
