// Progressive delivery inside the host, per kernel (in the manner of
// GitHub's Scientist, Envoy's mirroring and runtime fractions, Flagger and
// Argo Rollouts, but in the process that owns the kernels):
//   - [rollout.<kernel>]: a candidate backend runs in shadow (a sampled share
//     of live calls is also computed by it off the response path, compared
//     with the serving backend within the oracle tolerances, never returned)
//     and/or in canary steps (it serves a growing share of calls; each step
//     ends with an analysis of its window: mismatch rate, errors, non-finite
//     answers, candidate/serving p99). A failed analysis sends every call
//     back to the serving backend at once; passing the last step (100 %)
//     makes the candidate the serving backend in memory.
//   - [watchdog]: after a reload that changed a kernel's backend, the new one
//     is watched for a window (errors, non-finite answers, p99 against the
//     previous backend's, optionally sampled comparisons with it); crossing a
//     threshold publishes the previous backend again by itself.
// A 10 ms ticker does the analyses; decisions are published through the
// engine's routing snapshot and, for a change of serving backend, through
// the host (a new generation derived from the current one).
// Rollout state lives in memory: a restart starts every rollout again, a
// reload keeps a rollout whose [rollout.<kernel>] table and candidate file
// are unchanged (docs/operations/rollouts.md).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "engine/engine.h"

namespace engram {

enum class RolloutPhase { None = 0, Shadow, Canary, Promoted, RolledBack, Aborted };
const char* phase_name(RolloutPhase p);

// A snapshot of one kernel's rollout, for /v1/backends and /v1/rollouts.
struct RolloutView {
    std::string kernel, candidate, serving, mode;
    RolloutPhase phase = RolloutPhase::None;
    size_t step = 0;     // index into steps (canary)
    double percent = 0;  // share the candidate serves now
    std::vector<double> steps;
    double since_unix = 0;  // phase or step start
    // The current window.
    uint64_t candidate_calls = 0, candidate_errors = 0, candidate_nonfinite = 0;
    uint64_t comparisons = 0, mismatches = 0;
    double candidate_p99_ms = 0, serving_p99_ms = 0;
    std::string reason;                // why it failed, was aborted or promoted
    std::vector<std::string> history;  // one line per analysis and decision
};

struct WatchView {
    std::string kernel, backend, previous;
    double until_unix = 0;
    uint64_t calls = 0, errors = 0, nonfinite = 0, comparisons = 0, mismatches = 0;
    double p99_ms = 0, baseline_p99_ms = 0;
};

struct AutoRollback {
    double unix_time = 0;
    std::string kernel, reason, detail, from, to;
    double reaction_ms = 0;  // from the threshold's crossing being seen to the publish
};

struct RolloutStatus {
    std::vector<RolloutView> rollouts;
    std::vector<WatchView> watches;
    std::vector<AutoRollback> auto_rollbacks;  // newest last, at most 32
};

class RolloutController {
  public:
    // Publishes `set` iff the engine still serves `expected_generation`.
    using Publish =
        std::function<bool(uint64_t expected_generation, std::shared_ptr<const KernelSet> set)>;

    RolloutController(Engine& engine, Publish publish);
    ~RolloutController();
    RolloutController(const RolloutController&) = delete;
    RolloutController& operator=(const RolloutController&) = delete;

    // A reload (or the start) installed `next`; `previous` may be null.
    void on_reload(const std::shared_ptr<const KernelSet>& previous,
                   const std::shared_ptr<const KernelSet>& next, const Config& config);
    // Operator overrides: the next step now (shadow -> first canary step ->
    // ... -> promoted), or everything back to the serving backend.
    bool promote(Kernel k, std::string* why);
    bool abort(Kernel k, std::string* why);
    RolloutStatus status() const;
    void stop();

  private:
    struct Mark {
        uint64_t calls = 0, errors = 0, nonfinite = 0, latency = 0;
    };
    struct Rollout {
        RolloutConfig cfg;
        std::string serving_key, candidate_sha;
        std::shared_ptr<const Plugin> candidate;
        RolloutPhase phase = RolloutPhase::None;
        size_t step = 0;
        std::chrono::steady_clock::time_point window_start;
        double since_unix = 0;
        Mark cand, serv;
        uint64_t comparisons = 0, mismatches = 0;  // the tally at the window start
        std::shared_ptr<ShadowTally> tally = std::make_shared<ShadowTally>();
        std::shared_ptr<LatencyRing> cand_latency = std::make_shared<LatencyRing>(),
                                     serv_latency = std::make_shared<LatencyRing>();
        std::string reason;
        std::vector<std::string> history;
    };
    struct Watch {
        WatchdogConfig cfg;
        std::shared_ptr<const Plugin> previous;
        std::string previous_key, current_key;
        std::chrono::steady_clock::time_point until;
        double until_unix = 0;
        Mark mark;
        std::shared_ptr<ShadowTally> tally = std::make_shared<ShadowTally>();
        double baseline_p99_ns = 0;  // wall time, before the swap
        uint64_t baseline_calls = 0;
        std::array<uint64_t, metrics::ShardedHistogram::kBuckets + 1> buckets_at_swap{};
    };
    struct Action {  // decided under the lock, carried out after it
        std::shared_ptr<const KernelSet> publish;
        uint64_t expected_generation = 0;
    };

    void loop();
    void tick();
    // Each returns a reason and a detail when a threshold is crossed.
    std::optional<std::pair<std::string, std::string>> judge_rollout(Kernel k, Rollout& r,
                                                                     bool window_done);
    std::optional<std::pair<std::string, std::string>> judge_watch(Kernel k, Watch& w);
    void start_window(Kernel k, Rollout& r);
    void fail(Kernel k, Rollout& r, const std::string& reason, const std::string& detail,
              RolloutPhase phase);
    // Next step, or promotion (then `working` serves the candidate).
    void advance(Kernel k, Rollout& r, const std::string& why,
                 std::shared_ptr<const KernelSet>& working);
    void publish_routing();
    void record_rollback(AutoRollback a);
    std::string kernel_series_name(Kernel k) const;

    Engine& engine_;
    Publish publish_;
    mutable std::mutex mutex_;
    std::array<std::optional<Rollout>, 3> rollouts_;
    std::array<std::optional<Watch>, 3> watches_;
    std::vector<AutoRollback> history_;
    std::shared_ptr<const KernelSet> current_;
    bool stopping_ = false;
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace engram
