#include "engine/engine.h"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <utility>

#include "arena/arena.h"
#include "common/error.h"
#include "engine/finite_check.h"
#include "engine/kernel_timer.h"
#include "platform/tick_clock.h"

namespace engram {

namespace {

[[noreturn]] void bad_request(const std::string& why) { throw Error(ErrorCode::BadRequest, why); }

void check_status(engram_status st, Kernel k, const Plugin& p) {
    if (st != ENGRAM_OK)
        throw Error(ErrorCode::KernelFailed, std::string(kernel_name(k)) + " kernel of plugin '" +
                                                 p.name() + "' returned status " + std::to_string(st));
}

// After ENGRAM_OK: every float the kernel wrote must be finite. A NaN or an
// infinity is the plugin's fault (the inputs are finite: queries are
// validated, the store is checked when built), so the request fails with
// E_KERNEL_NONFINITE rather than ranking garbage; counted per (kernel,
// backend) in engram_kernel_nonfinite_total.
void check_finite(const float* out, uint64_t n, Kernel k, const Plugin& p, metrics::KernelSeries& series) {
    const uint64_t i = first_nonfinite(out, n);
    if (i == n) [[likely]]
        return;
    series.nonfinite.add();
    throw Error(ErrorCode::KernelNonFinite, std::string(kernel_name(k)) + " kernel of plugin '" + p.name() +
                                                "' returned a non-finite value at index " + std::to_string(i));
}

// The k largest (value, then smaller id first for ties) of values[0..n), best
// first. A bounded min-heap of k entries: one pass over the scores with no
// n-sized allocation on the request path (k <= kMaxK is small next to n).
std::vector<Scored> top_k(const float* values, uint64_t n, uint32_t k, bool skip_zero) {
    const auto better = [](const Scored& a, const Scored& b) {
        return a.value > b.value || (a.value == b.value && a.id < b.id);
    };
    std::vector<Scored> heap;  // heap.front() is the worst of the kept
    heap.reserve(std::min<uint64_t>(k, n));
    uint64_t i = 0;
    for (; i < n && heap.size() < k; ++i) {
        if (skip_zero && values[i] == 0.0f) continue;
        heap.push_back({static_cast<uint32_t>(i), values[i]});
        std::push_heap(heap.begin(), heap.end(), better);
    }
    // Full from here on. Ids only grow, so a later score that ties the worst
    // kept one loses the tie: it gets in iff it is strictly greater. That is
    // one compare against a local per score (NaN never gets in), instead of
    // the two-key compare against memory the heap lives in.
    float worst = heap.empty() ? 0.0f : heap.front().value;
    const auto offer = [&](uint64_t at) {
        const float v = values[at];
        if (!(v > worst) || (skip_zero && v == 0.0f)) return;
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = {static_cast<uint32_t>(at), v};
        std::push_heap(heap.begin(), heap.end(), better);
        worst = heap.front().value;
    };
#if defined(__SSE2__)
    // Almost every block of 8 holds no score above the worst kept one: test
    // the 8 with two SSE compares (baseline x86-64) and skip them together.
    for (; i + 8 <= n; i += 8) {
        const __m128 w = _mm_set1_ps(worst);
        const __m128 gt = _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(values + i), w),
                                    _mm_cmpgt_ps(_mm_loadu_ps(values + i + 4), w));
        if (_mm_movemask_ps(gt) == 0) continue;
        for (uint64_t j = i; j < i + 8; ++j) offer(j);
    }
#endif
    for (; i < n; ++i) offer(i);
    std::sort_heap(heap.begin(), heap.end(), better);
    return heap;
}

}  // namespace

Engine::Engine(std::shared_ptr<const MemoryStore> store) : store_(std::move(store)) {
    tick_clock::calibration();  // the ~2 ms calibration happens here, not in the first request
}

void Engine::install(std::shared_ptr<const KernelSet> set) {
    std::shared_ptr<const KernelSet> previous;
    {
        std::lock_guard<std::mutex> lock(set_mutex_);
        previous = std::exchange(set_, std::move(set));
    }
    // `previous` is released here, outside the lock: if this was the last
    // holder, unloading its plugins must not stall readers.
}

std::shared_ptr<const KernelSet> Engine::snapshot() const {
    std::lock_guard<std::mutex> lock(set_mutex_);
    return set_;
}

std::shared_ptr<const KernelSet> Engine::require_set() const {
    auto set = snapshot();
    if (!set) throw Error(ErrorCode::NoUsableBackend, "no kernel set installed yet");
    return set;
}

KernelAnswer Engine::find_similar(std::span<const float> query, uint32_t k) const {
    const MemoryStore& s = *store_;
    if (query.size() != s.dim)
        bad_request("query has " + std::to_string(query.size()) + " dimensions, the store has " +
                    std::to_string(s.dim));
    for (size_t i = 0; i < query.size(); ++i)
        if (!std::isfinite(query[i])) bad_request("query[" + std::to_string(i) + "] is not finite");
    if (k < 1 || k > kMaxK) bad_request("k must be in 1.." + std::to_string(kMaxK));

    const auto set = require_set();  // held until return: the plugin stays loaded
    const Plugin& p = set->backend(Kernel::Similarity);
    const auto& t = p.table();
    ArenaScope arena;
    const engram_shape shape{s.n, s.dim, 0};
    const uint64_t scratch_bytes = t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape);
    void* scratch = arena.allocate(scratch_bytes);
    float* scores = arena.allocate_array<float>(s.n);
    engram_status st;
    {
        KernelTimer timer(set->series(Kernel::Similarity), st);
        st = t.similarity(query.data(), s.embeddings.data(), s.norms.data(), s.n, s.dim, scores, scratch,
                          scratch_bytes);
    }
    check_status(st, Kernel::Similarity, p);
    check_finite(scores, s.n, Kernel::Similarity, p, set->series(Kernel::Similarity));
    return {top_k(scores, s.n, k, false), p.name(), set->generation()};
}

KernelAnswer Engine::spread(const SpreadRequest& r) const {
    const MemoryStore& s = *store_;
    if (r.seeds.empty()) bad_request("seeds must not be empty");
    for (uint32_t id : r.seeds)
        if (id >= s.n) bad_request("unknown memory id " + std::to_string(id));
    if (r.iterations > kMaxIterations)
        bad_request("iterations must be in 0.." + std::to_string(kMaxIterations));
    if (!std::isfinite(r.decay) || r.decay < 0.0f) bad_request("decay must be finite and >= 0");
    if (!std::isfinite(r.threshold)) bad_request("threshold must be finite");
    if (r.top < 1 || r.top > kMaxK) bad_request("top must be in 1.." + std::to_string(kMaxK));

    const auto set = require_set();
    const Plugin& p = set->backend(Kernel::Spreading);
    const auto& t = p.table();
    ArenaScope arena;
    const engram_shape shape{s.n, 0, s.sources.size()};
    const uint64_t scratch_bytes = t.scratch_bytes(ENGRAM_KERNEL_SPREADING, &shape);
    void* scratch = arena.allocate(scratch_bytes);
    float* act = arena.allocate_array<float>(s.n);
    std::fill(act, act + s.n, 0.0f);
    for (uint32_t id : r.seeds) act[id] = 1.0f;
    const engram_spread_params params{r.iterations, r.decay, r.threshold};
    engram_status st;
    {
        KernelTimer timer(set->series(Kernel::Spreading), st);
        st = t.spread(s.offsets.data(), s.sources.data(), s.weights.data(), s.n, &params, act, scratch,
                      scratch_bytes);
    }
    check_status(st, Kernel::Spreading, p);
    check_finite(act, s.n, Kernel::Spreading, p, set->series(Kernel::Spreading));
    return {top_k(act, s.n, r.top, true), p.name(), set->generation()};
}

KernelAnswer Engine::retention(std::span<const uint32_t> ids, double now) const {
    const MemoryStore& s = *store_;
    if (ids.empty()) bad_request("ids must not be empty");
    if (ids.size() > 1'000'000) bad_request("at most 1000000 ids per request");
    if (!std::isfinite(now)) bad_request("now must be finite");
    ArenaScope arena;
    const uint64_t n = ids.size();
    float* strength = arena.allocate_array<float>(n);
    float* age = arena.allocate_array<float>(n);
    float* stability = arena.allocate_array<float>(n);
    float* out = arena.allocate_array<float>(n);
    for (size_t i = 0; i < ids.size(); ++i) {
        const uint32_t id = ids[i];
        if (id >= s.n) bad_request("unknown memory id " + std::to_string(id));
        strength[i] = s.strength[id];
        age[i] = static_cast<float>(now - s.last_access[id]);  // kernel treats < 0 as 0
        stability[i] = s.stability[id];
    }
    const auto set = require_set();
    const Plugin& p = set->backend(Kernel::Decay);
    const auto& t = p.table();
    const engram_shape shape{n, 0, 0};
    const uint64_t scratch_bytes = t.scratch_bytes(ENGRAM_KERNEL_DECAY, &shape);
    void* scratch = arena.allocate(scratch_bytes);
    engram_status st;
    {
        KernelTimer timer(set->series(Kernel::Decay), st);
        st = t.decay(strength, age, stability, 0.0f, n, out, scratch, scratch_bytes);
    }
    check_status(st, Kernel::Decay, p);
    check_finite(out, n, Kernel::Decay, p, set->series(Kernel::Decay));
    KernelAnswer a{{}, p.name(), set->generation()};
    a.items.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) a.items.push_back({ids[i], out[i]});
    return a;
}

}  // namespace engram
