#include "app/rollout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/log.h"
#include "metrics/registry.h"

namespace engram {

namespace {

using Clock = std::chrono::steady_clock;

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

size_t idx(Kernel k) { return static_cast<size_t>(k); }

metrics::KernelSeries& series(Kernel k, const std::string& backend) {
    return metrics::Registry::global().kernel(kernel_name(k), backend.c_str());
}

double quantile_ns(std::vector<uint32_t> v, double q) {
    if (v.empty()) return 0;
    const size_t at = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    return v[at];
}

double p99_ns(std::vector<uint32_t> v) { return quantile_ns(std::move(v), 0.99); }

// The quantile the latency rule compares: p99 once both sides have 100
// timed calls in the window. Below that the p99 is the slowest call or two,
// and one cold call (first touch of the candidate's pages, a cache flushed by
// a neighbour) would fail a good plugin; p90 still sees a backend that is
// slower on most calls.
constexpr size_t kP99Calls = 100;

using Buckets = std::array<uint64_t, metrics::ShardedHistogram::kBuckets + 1>;

Buckets buckets_of(const metrics::ShardedHistogram& h) {
    Buckets b{};
    for (size_t i = 0; i < b.size(); ++i) b[i] = h.bucket(i);
    return b;
}

// p99 of what a histogram has seen since `since` (zeros: ever), interpolated
// within its bucket as Prometheus' histogram_quantile does. Wall time, as
// the duration metric records it: the watchdog compares a swapped-in build
// with the one before it on the same scale.
double histogram_p99_ns(const metrics::ShardedHistogram& h, const Buckets& since, uint64_t* calls) {
    Buckets now = buckets_of(h);
    uint64_t total = 0;
    for (size_t i = 0; i < now.size(); ++i) total += (now[i] -= std::min(now[i], since[i]));
    *calls = total;
    if (total == 0) return 0;
    const double want = 0.99 * static_cast<double>(total);
    double seen = 0, lower = 0;
    for (size_t i = 0; i < metrics::ShardedHistogram::kBuckets; ++i) {
        const double upper = h.bounds()[i] * 1e9;
        const double n = static_cast<double>(now[i]);
        if (seen + n >= want) return lower + (upper - lower) * (n > 0 ? (want - seen) / n : 1.0);
        seen += n;
        lower = upper;
    }
    return lower;  // in +Inf: the largest finite bound
}

uint32_t bp(double share) {
    return static_cast<uint32_t>(std::lround(std::clamp(share, 0.0, 1.0) * 10000.0));
}

int reason_index(const std::string& reason) {
    for (size_t i = 0; i < std::size(metrics::RolloutSeries::kReasons); ++i)
        if (reason == metrics::RolloutSeries::kReasons[i]) return static_cast<int>(i);
    return 0;
}

}  // namespace

const char* phase_name(RolloutPhase p) {
    return metrics::RolloutSeries::kPhases[static_cast<size_t>(p)];
}

RolloutController::RolloutController(Engine& engine, Publish publish)
    : engine_(engine), publish_(std::move(publish)), thread_([this] { loop(); }) {}

RolloutController::~RolloutController() { stop(); }

void RolloutController::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void RolloutController::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        cv_.wait_for(lock, std::chrono::milliseconds(10));
        if (stopping_) return;
        lock.unlock();
        tick();
        lock.lock();
    }
}

void RolloutController::start_window(Kernel k, Rollout& r) {
    auto& c = series(k, r.cfg.candidate);
    auto& s = series(k, r.serving_key);
    r.cand = {c.calls(), c.errors.value(), c.nonfinite.value(), r.cand_latency->recorded()};
    // The serving side's latency is compared over the whole rollout (its
    // last 4096 calls): at 100 % it has hardly any calls of its own window.
    r.serv = {s.calls(), s.errors.value(), s.nonfinite.value(), 0};
    r.comparisons = r.tally->comparisons.load();
    r.mismatches = r.tally->mismatches.load();
    r.window_start = Clock::now();
    r.since_unix = unix_now();
}

void RolloutController::publish_routing() {
    auto routing = std::make_shared<Routing>();
    bool any = false;
    auto& reg = metrics::Registry::global();
    for (Kernel k : kAllKernels) {
        KernelRoute& route = routing->kernels[idx(k)];
        reg.rollout[idx(k)].phase.set(0);
        reg.rollout[idx(k)].step_bp.set(0);
        if (const auto& r = rollouts_[idx(k)]) {
            reg.rollout[idx(k)].phase.set(static_cast<int64_t>(r->phase));
            if (r->phase == RolloutPhase::Shadow || r->phase == RolloutPhase::Canary) {
                route.alternate = r->candidate;
                route.alternate_key = r->cfg.candidate;
                route.alternate_series = &series(k, r->cfg.candidate);
                route.serve_bp =
                    r->phase == RolloutPhase::Canary ? bp(r->cfg.steps[r->step] / 100.0) : 0;
                route.compare_bp = bp(r->cfg.shadow_sample);
                route.serving_latency = r->serv_latency;
                route.alternate_latency = r->cand_latency;
                route.tally = r->tally;
                reg.rollout[idx(k)].step_bp.set(route.serve_bp);
                any = true;
            } else if (r->phase == RolloutPhase::Promoted) {
                reg.rollout[idx(k)].step_bp.set(10000);
            }
        } else if (const auto& w = watches_[idx(k)]; w && w->cfg.compare_sample > 0) {
            // The watchdog's sampled comparison with the previous backend
            // (its other checks read the metrics: no route needed).
            route.alternate = w->previous;
            route.alternate_key = w->previous_key;
            route.alternate_series = &series(k, w->previous_key);
            route.compare_bp = bp(w->cfg.compare_sample);
            route.tally = w->tally;
            any = true;
        }
    }
    engine_.install_routing(any ? std::shared_ptr<const Routing>(std::move(routing)) : nullptr);
}

void RolloutController::on_reload(const std::shared_ptr<const KernelSet>& previous,
                                  const std::shared_ptr<const KernelSet>& next,
                                  const Config& config) {
    std::shared_ptr<const KernelSet> derived = next;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        current_ = next;
        for (Kernel k : kAllKernels) {
            const RolloutConfig& rc = config.rollout[idx(k)];
            auto& slot = rollouts_[idx(k)];
            const std::string serving_key = next->backend(k).name();
            if (rc.candidate.empty()) {
                if (slot)
                    log::write(log::Level::Info, "rollout ended: [rollout] table removed",
                               {{"kernel", kernel_name(k)}});
                slot.reset();
            } else if (rc.candidate == serving_key) {
                if (slot)
                    log::write(log::Level::Info,
                               "rollout ended: the candidate is the configured backend now",
                               {{"kernel", kernel_name(k)},
                                {"backend", serving_key},
                                {"note", "remove [rollout." + std::string(kernel_name(k)) +
                                             "] at leisure"}});
                slot.reset();
            } else if (auto cand = next->find(rc.candidate); !cand) {
                log::write(log::Level::Warn,
                           "rollout not started: the candidate is not usable here",
                           {{"kernel", kernel_name(k)}, {"candidate", rc.candidate}});
                slot.reset();
            } else if (slot && slot->cfg == rc && slot->candidate_sha == cand->sha256() &&
                       slot->serving_key == serving_key) {
                // Same rollout: it carries on where it was. A promoted one
                // is published again (the reload read the TOML's backend).
                slot->candidate = cand;
                if (slot->phase == RolloutPhase::Promoted)
                    derived = derived->with_backend(k, rc.candidate, cand, next->generation() + 1);
            } else {
                slot.emplace();
                Rollout& r = *slot;
                r.cfg = rc;
                r.serving_key = serving_key;
                r.candidate = cand;
                r.candidate_sha = cand->sha256();
                r.phase = rc.mode == "shadow" ? RolloutPhase::Shadow : RolloutPhase::Canary;
                start_window(k, r);
                r.history.push_back(std::string("started in ") + phase_name(r.phase) +
                                    ": candidate " + rc.candidate + " against " + serving_key);
                log::write(log::Level::Info, "rollout started",
                           {{"kernel", kernel_name(k)},
                            {"candidate", rc.candidate},
                            {"serving", serving_key},
                            {"phase", phase_name(r.phase)}});
            }
            // The watchdog: a reload changed this kernel's backend (another
            // plugin object: another file or other bytes).
            auto& watch = watches_[idx(k)];
            const bool changed = previous && &previous->backend(k) != &next->backend(k);
            if (changed && config.watchdog.enabled && rc.candidate.empty()) {
                watch.emplace();
                Watch& w = *watch;
                w.cfg = config.watchdog;
                w.previous_key = previous->backend(k).name();
                // The plugin object that served, not a lookup by name: after a
                // rollback of a same-named build the name points at the bad one.
                w.previous = previous->backend_ptr(k);
                w.current_key = serving_key;
                w.until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(w.cfg.window_seconds));
                w.until_unix = unix_now() + w.cfg.window_seconds;
                auto& prev = series(k, w.previous_key);
                w.baseline_p99_ns = histogram_p99_ns(prev.duration, Buckets{}, &w.baseline_calls);
                auto& cur = series(k, w.current_key);
                w.mark = {cur.calls(), cur.errors.value(), cur.nonfinite.value(), 0};
                w.buckets_at_swap = buckets_of(cur.duration);
                log::write(log::Level::Info, "watchdog watching a swapped backend",
                           {{"kernel", kernel_name(k)},
                            {"backend", w.current_key},
                            {"previous", w.previous_key},
                            {"window_seconds", fmt(w.cfg.window_seconds)}});
            } else if (!(watch && !changed && watch->current_key == serving_key &&
                         config.watchdog.enabled)) {
                watch.reset();  // kept only across a reload that left this backend alone
            }
        }
        publish_routing();
    }
    if (derived != next && publish_(next->generation(), derived)) {
        std::lock_guard<std::mutex> lock(mutex_);
        current_ = derived;
    }
}

std::optional<std::pair<std::string, std::string>> RolloutController::judge_rollout(
    Kernel k, Rollout& r, bool window_done) {
    auto& c = series(k, r.cfg.candidate);
    const uint64_t calls = c.calls() - r.cand.calls, errors = c.errors.value() - r.cand.errors,
                   nonfinite = c.nonfinite.value() - r.cand.nonfinite,
                   comparisons = r.tally->comparisons.load() - r.comparisons,
                   mismatches = r.tally->mismatches.load() - r.mismatches;
    if (nonfinite > r.cfg.max_nonfinite)
        return std::pair{std::string("nonfinite"),
                         std::to_string(nonfinite) + " non-finite answers from the candidate"};
    if (errors > 0 &&
        static_cast<double>(errors) >
            r.cfg.max_error_rate * static_cast<double>(std::max(calls, r.cfg.step_requests)))
        return std::pair{std::string("errors"), std::to_string(errors) + " errors in " +
                                                    std::to_string(calls) + " candidate calls"};
    if (mismatches > 0 && static_cast<double>(mismatches) >
                              r.cfg.max_mismatch_rate *
                                  static_cast<double>(std::max(comparisons, r.cfg.min_comparisons)))
        return std::pair{std::string("mismatch"),
                         std::to_string(mismatches) + " of " + std::to_string(comparisons) +
                             " compared calls disagree beyond the oracle tolerances"};
    if (window_done) {
        const auto cand = r.cand_latency->since(r.cand.latency),
                   serv = r.serv_latency->since(r.serv.latency);
        if (cand.size() >= 20 && serv.size() >= 20) {
            const bool p99 = cand.size() >= kP99Calls && serv.size() >= kP99Calls;
            // The tail first, then the median: a candidate slower on most
            // calls fails even when a noisy neighbour has stretched the
            // serving side's tail as far as the candidate's.
            const std::pair<const char*, double> quantiles[] = {
                {p99 ? "p99" : "p90", p99 ? 0.99 : 0.90}, {"median", 0.50}};
            for (const auto& [q, at] : quantiles) {
                const double cp = quantile_ns(cand, at), sp = quantile_ns(serv, at);
                if (sp > 0 && cp / sp > r.cfg.max_latency_ratio)
                    return std::pair{std::string("latency"),
                                     "candidate " + std::string(q) + " " + fmt(cp / 1e6) +
                                         " ms is " + fmt(cp / sp) + "x the serving backend's " +
                                         fmt(sp / 1e6) + " ms (limit " +
                                         fmt(r.cfg.max_latency_ratio) + "x)"};
            }
        }
    }
    return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> RolloutController::judge_watch(Kernel k,
                                                                                  Watch& w) {
    auto& c = series(k, w.current_key);
    const uint64_t calls = c.calls() - w.mark.calls, errors = c.errors.value() - w.mark.errors,
                   nonfinite = c.nonfinite.value() - w.mark.nonfinite;
    if (nonfinite > w.cfg.max_nonfinite)
        return std::pair{std::string("nonfinite"),
                         std::to_string(nonfinite) + " non-finite answers since the swap"};
    if ((calls >= w.cfg.min_calls &&
         static_cast<double>(errors) > w.cfg.max_error_rate * static_cast<double>(calls)) ||
        errors >= w.cfg.min_calls)
        return std::pair{std::string("errors"), std::to_string(errors) + " errors in " +
                                                    std::to_string(calls) +
                                                    " calls since the swap"};
    // Latency is judged only against an earlier build of the same backend:
    // a switch to another backend (to reference in an emergency, say) is a
    // deliberate trade and must not be undone for being slower.
    if (w.previous_key == w.current_key && calls >= w.cfg.min_calls &&
        w.baseline_calls >= w.cfg.min_calls && w.baseline_p99_ns > 0) {
        uint64_t n = 0;
        const double p = histogram_p99_ns(c.duration, w.buckets_at_swap, &n);
        if (p > w.cfg.max_latency_ratio * w.baseline_p99_ns)
            return std::pair{std::string("latency"),
                             "p99 " + fmt(p / 1e6) + " ms since the swap against " +
                                 fmt(w.baseline_p99_ns / 1e6) + " ms before it (limit " +
                                 fmt(w.cfg.max_latency_ratio) + "x)"};
    }
    if (w.cfg.compare_sample > 0) {
        const uint64_t comparisons = w.tally->comparisons.load(),
                       mismatches = w.tally->mismatches.load();
        if (comparisons >= 20 && static_cast<double>(mismatches) >
                                     w.cfg.max_mismatch_rate * static_cast<double>(comparisons))
            return std::pair{std::string("mismatch"),
                             std::to_string(mismatches) + " of " + std::to_string(comparisons) +
                                 " calls compared with the previous backend disagree"};
    }
    return std::nullopt;
}

void RolloutController::record_rollback(AutoRollback a) {
    metrics::Registry::global()
        .rollout[idx(a.kernel == "similarity"  ? Kernel::Similarity
                     : a.kernel == "spreading" ? Kernel::Spreading
                                               : Kernel::Decay)]
        .auto_rollbacks[static_cast<size_t>(reason_index(a.reason))]
        .add();
    log::write(log::Level::Warn, "AUTO ROLLBACK",
               {{"kernel", a.kernel},
                {"reason", a.reason},
                {"from", a.from},
                {"to", a.to},
                {"detail", a.detail}});
    history_.push_back(std::move(a));
    if (history_.size() > 32) history_.erase(history_.begin());
}

void RolloutController::fail(Kernel k, Rollout& r, const std::string& reason,
                             const std::string& detail, RolloutPhase phase) {
    const RolloutPhase was = r.phase;
    const double percent = was == RolloutPhase::Canary ? r.cfg.steps[r.step] : 0.0;
    r.phase = phase;
    r.reason = reason + ": " + detail;
    r.since_unix = unix_now();
    r.history.push_back(std::string(phase_name(was)) +
                        (was == RolloutPhase::Canary ? " step " + fmt(percent) + "%" : "") +
                        " failed (" + reason + "): " + detail + "; every call back on " +
                        r.serving_key);
    if (phase == RolloutPhase::RolledBack)
        record_rollback(
            {unix_now(), kernel_name(k), reason, detail, r.cfg.candidate, r.serving_key, 0});
}

void RolloutController::advance(Kernel k, Rollout& r, const std::string& why,
                                std::shared_ptr<const KernelSet>& working) {
    if (r.phase == RolloutPhase::Shadow) {
        r.phase = RolloutPhase::Canary;
        r.step = 0;
        r.history.push_back("shadow -> canary step " + fmt(r.cfg.steps[0]) + "% (" + why + ")");
    } else if (r.step + 1 < r.cfg.steps.size()) {
        r.history.push_back("canary step " + fmt(r.cfg.steps[r.step]) + "% passed (" + why +
                            ") -> " + fmt(r.cfg.steps[r.step + 1]) + "%");
        ++r.step;
    } else {
        r.phase = RolloutPhase::Promoted;
        r.reason = "promoted: " + r.cfg.candidate + " serves " + kernel_name(k) +
                   " (in memory; see the TOML note)";
        r.history.push_back("canary step " + fmt(r.cfg.steps[r.step]) + "% passed (" + why +
                            ") -> promoted: " + r.cfg.candidate + " now serves " + kernel_name(k));
        log::write(log::Level::Info, "rollout promoted",
                   {{"kernel", kernel_name(k)},
                    {"candidate", r.cfg.candidate},
                    {"note", "set [backends] " + std::string(kernel_name(k)) + " = \"" +
                                 r.cfg.candidate + "\" and remove [rollout." + kernel_name(k) +
                                 "] to keep it after a restart"}});
        if (working)
            working =
                working->with_backend(k, r.cfg.candidate, r.candidate, current_->generation() + 1);
    }
    start_window(k, r);
}

void RolloutController::tick() {
    std::vector<Action> actions;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // Every change of serving backend decided in this tick goes into one
        // derived generation, published once.
        std::shared_ptr<const KernelSet> working = current_;
        bool changed = false;
        const auto now = Clock::now();
        for (Kernel k : kAllKernels) {
            if (auto& slot = rollouts_[idx(k)]; slot && (slot->phase == RolloutPhase::Shadow ||
                                                         slot->phase == RolloutPhase::Canary)) {
                Rollout& r = *slot;
                const uint64_t calls = series(k, r.cfg.candidate).calls() - r.cand.calls;
                const uint64_t compared = r.tally->comparisons.load() - r.comparisons;
                const bool window_done =
                    calls >= r.cfg.step_requests &&
                    std::chrono::duration<double>(now - r.window_start).count() >=
                        r.cfg.step_seconds &&
                    (r.cfg.shadow_sample <= 0 || compared >= r.cfg.min_comparisons);
                if (auto verdict = judge_rollout(k, r, window_done)) {
                    fail(k, r, verdict->first, verdict->second, RolloutPhase::RolledBack);
                    changed = true;
                } else if (window_done) {
                    const std::string why = std::to_string(calls) + " candidate calls, " +
                                            std::to_string(compared) +
                                            " compared, 0 over the thresholds";
                    if (r.phase == RolloutPhase::Shadow) {
                        r.history.push_back("shadow window passed (" + why +
                                            "); promote to start the canary steps");
                        start_window(k, r);
                    } else {
                        advance(k, r, why, working);
                        changed = true;
                    }
                }
            }
            if (auto& watch = watches_[idx(k)]) {
                Watch& w = *watch;
                if (auto verdict = judge_watch(k, w)) {
                    if (working && w.previous)
                        working = working->with_backend(k, w.previous_key, w.previous,
                                                        current_->generation() + 1);
                    record_rollback({unix_now(), kernel_name(k), verdict->first, verdict->second,
                                     w.current_key, w.previous_key, 0});
                    watch.reset();
                    changed = true;
                } else if (now >= w.until) {
                    log::write(log::Level::Info, "watchdog window passed",
                               {{"kernel", kernel_name(k)}, {"backend", w.current_key}});
                    watch.reset();
                    changed = true;
                }
            }
        }
        if (changed) publish_routing();
        if (working != current_) actions.push_back({working, current_->generation()});
    }
    for (auto& a : actions) {
        const auto t0 = Clock::now();
        if (publish_(a.expected_generation, a.publish)) {
            std::lock_guard<std::mutex> lock(mutex_);
            current_ = a.publish;
            if (!history_.empty() && history_.back().reaction_ms == 0)
                history_.back().reaction_ms =
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        }
    }
}

bool RolloutController::promote(Kernel k, std::string* why) {
    std::vector<Action> actions;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& slot = rollouts_[idx(k)];
        if (!slot || (slot->phase != RolloutPhase::Shadow && slot->phase != RolloutPhase::Canary)) {
            *why = std::string("no rollout in shadow or canary for ") + kernel_name(k);
            return false;
        }
        std::shared_ptr<const KernelSet> working = current_;
        advance(k, *slot, "promoted by the operator", working);
        publish_routing();
        if (working != current_) actions.push_back({working, current_->generation()});
    }
    for (auto& a : actions)
        if (publish_(a.expected_generation, a.publish)) {
            std::lock_guard<std::mutex> lock(mutex_);
            current_ = a.publish;
        }
    return true;
}

bool RolloutController::abort(Kernel k, std::string* why) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = rollouts_[idx(k)];
    if (!slot || (slot->phase != RolloutPhase::Shadow && slot->phase != RolloutPhase::Canary)) {
        *why = std::string("no rollout in shadow or canary for ") + kernel_name(k);
        return false;
    }
    fail(k, *slot, "aborted", "by the operator", RolloutPhase::Aborted);
    publish_routing();
    return true;
}

RolloutStatus RolloutController::status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    RolloutStatus s;
    for (Kernel k : kAllKernels) {
        if (const auto& r = rollouts_[idx(k)]) {
            RolloutView v;
            v.kernel = kernel_name(k);
            v.candidate = r->cfg.candidate;
            v.serving = r->serving_key;
            v.mode = r->cfg.mode;
            v.phase = r->phase;
            v.step = r->step;
            v.steps = r->cfg.steps;
            v.percent = r->phase == RolloutPhase::Canary     ? r->cfg.steps[r->step]
                        : r->phase == RolloutPhase::Promoted ? 100.0
                                                             : 0.0;
            v.since_unix = r->since_unix;
            auto& c = metrics::Registry::global().kernel(kernel_name(k), r->cfg.candidate.c_str());
            v.candidate_calls = c.calls() - r->cand.calls;
            v.candidate_errors = c.errors.value() - r->cand.errors;
            v.candidate_nonfinite = c.nonfinite.value() - r->cand.nonfinite;
            v.comparisons = r->tally->comparisons.load() - r->comparisons;
            v.mismatches = r->tally->mismatches.load() - r->mismatches;
            v.candidate_p99_ms = p99_ns(r->cand_latency->since(r->cand.latency)) / 1e6;
            v.serving_p99_ms = p99_ns(r->serv_latency->since(r->serv.latency)) / 1e6;
            v.reason = r->reason;
            v.history = r->history;
            s.rollouts.push_back(std::move(v));
        }
        if (const auto& w = watches_[idx(k)]) {
            WatchView v;
            v.kernel = kernel_name(k);
            v.backend = w->current_key;
            v.previous = w->previous_key;
            v.until_unix = w->until_unix;
            auto& c = metrics::Registry::global().kernel(kernel_name(k), w->current_key.c_str());
            v.calls = c.calls() - w->mark.calls;
            v.errors = c.errors.value() - w->mark.errors;
            v.nonfinite = c.nonfinite.value() - w->mark.nonfinite;
            v.comparisons = w->tally->comparisons.load();
            v.mismatches = w->tally->mismatches.load();
            uint64_t n = 0;
            v.p99_ms = histogram_p99_ns(metrics::Registry::global()
                                            .kernel(kernel_name(k), w->current_key.c_str())
                                            .duration,
                                        w->buckets_at_swap, &n) /
                       1e6;
            v.baseline_p99_ms = w->baseline_p99_ns / 1e6;
            s.watches.push_back(std::move(v));
        }
    }
    s.auto_rollbacks = history_;
    return s;
}

}  // namespace engram
