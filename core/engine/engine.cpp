#include "engine/engine.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/scratch.h"

namespace engram {

namespace {

[[noreturn]] void bad_request(const std::string& why) { throw Error(ErrorCode::BadRequest, why); }

void check_status(engram_status st, Kernel k, const Plugin& p) {
    if (st != ENGRAM_OK)
        throw Error(ErrorCode::KernelFailed, std::string(kernel_name(k)) + " kernel of plugin '" +
                                                 p.name() + "' returned status " + std::to_string(st));
}

// The k largest (value, then smaller id first for ties) of values[0..n).
std::vector<Scored> top_k(const float* values, uint64_t n, uint32_t k, bool skip_zero) {
    std::vector<Scored> all;
    all.reserve(n);
    for (uint64_t i = 0; i < n; ++i)
        if (!skip_zero || values[i] != 0.0f) all.push_back({static_cast<uint32_t>(i), values[i]});
    const auto better = [](const Scored& a, const Scored& b) {
        return a.value > b.value || (a.value == b.value && a.id < b.id);
    };
    const size_t keep = std::min<size_t>(k, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), better);
    all.resize(keep);
    return all;
}

}  // namespace

Engine::Engine(std::shared_ptr<const MemoryStore> store) : store_(std::move(store)) {}

void Engine::install(std::shared_ptr<const KernelSet> set) { set_.store(std::move(set)); }

std::shared_ptr<const KernelSet> Engine::snapshot() const { return set_.load(); }

std::shared_ptr<const KernelSet> Engine::require_set() const {
    auto set = set_.load();
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
    const auto& t = set->table(Kernel::Similarity);
    const engram_shape shape{s.n, s.dim, 0};
    const ScratchSpan scratch = thread_scratch(t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape));
    thread_local std::vector<float> scores;
    scores.resize(s.n);
    check_status(t.similarity(query.data(), s.embeddings.data(), s.norms.data(), s.n, s.dim,
                              scores.data(), scratch.data, scratch.capacity),
                 Kernel::Similarity, set->backend(Kernel::Similarity));
    return {top_k(scores.data(), s.n, k, false), set->backend(Kernel::Similarity).name(),
            set->generation()};
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
    const auto& t = set->table(Kernel::Spreading);
    const engram_shape shape{s.n, 0, s.sources.size()};
    const ScratchSpan scratch = thread_scratch(t.scratch_bytes(ENGRAM_KERNEL_SPREADING, &shape));
    thread_local std::vector<float> act;
    act.assign(s.n, 0.0f);
    for (uint32_t id : r.seeds) act[id] = 1.0f;
    const engram_spread_params p{r.iterations, r.decay, r.threshold};
    check_status(t.spread(s.offsets.data(), s.sources.data(), s.weights.data(), s.n, &p, act.data(),
                          scratch.data, scratch.capacity),
                 Kernel::Spreading, set->backend(Kernel::Spreading));
    return {top_k(act.data(), s.n, r.top, true), set->backend(Kernel::Spreading).name(),
            set->generation()};
}

KernelAnswer Engine::retention(std::span<const uint32_t> ids, double now) const {
    const MemoryStore& s = *store_;
    if (ids.empty()) bad_request("ids must not be empty");
    if (ids.size() > 1'000'000) bad_request("at most 1000000 ids per request");
    if (!std::isfinite(now)) bad_request("now must be finite");
    thread_local std::vector<float> strength, age, stability, out;
    strength.resize(ids.size());
    age.resize(ids.size());
    stability.resize(ids.size());
    out.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        const uint32_t id = ids[i];
        if (id >= s.n) bad_request("unknown memory id " + std::to_string(id));
        strength[i] = s.strength[id];
        age[i] = static_cast<float>(now - s.last_access[id]);  // kernel treats < 0 as 0
        stability[i] = s.stability[id];
    }
    const auto set = require_set();
    const auto& t = set->table(Kernel::Decay);
    const engram_shape shape{ids.size(), 0, 0};
    const ScratchSpan scratch = thread_scratch(t.scratch_bytes(ENGRAM_KERNEL_DECAY, &shape));
    check_status(t.decay(strength.data(), age.data(), stability.data(), 0.0f, ids.size(), out.data(),
                         scratch.data, scratch.capacity),
                 Kernel::Decay, set->backend(Kernel::Decay));
    KernelAnswer a{{}, set->backend(Kernel::Decay).name(), set->generation()};
    a.items.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) a.items.push_back({ids[i], out[i]});
    return a;
}

}  // namespace engram
