#include "engine/engine.h"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sched.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <utility>

#include "arena/arena.h"
#include "common/error.h"
#include "engine/finite_check.h"
#include "engine/kernel_pool.h"
#include "engine/kernel_timer.h"
#include "platform/tick_clock.h"
#include "validation/agreement.h"

namespace engram {

namespace {

[[noreturn]] void bad_request(const std::string& why) { throw Error(ErrorCode::BadRequest, why); }

void check_status(engram_status st, Kernel k, const Plugin& p) {
    if (st != ENGRAM_OK)
        throw Error(ErrorCode::KernelFailed, std::string(kernel_name(k)) + " kernel of plugin '" +
                                                 p.name() + "' returned status " +
                                                 std::to_string(st));
}

// After ENGRAM_OK: every float the kernel wrote must be finite. A NaN or an
// infinity is the plugin's fault (the inputs are finite: queries are
// validated, the store is checked when built), so the request fails with
// E_KERNEL_NONFINITE rather than ranking garbage; counted per (kernel,
// backend) in engram_kernel_nonfinite_total.
void check_finite(const float* out, uint64_t n, Kernel k, const Plugin& p,
                  metrics::KernelSeries& series) {
    const uint64_t i = first_nonfinite(out, n);
    if (i == n) [[likely]]
        return;
    series.nonfinite.add();
    throw Error(ErrorCode::KernelNonFinite,
                std::string(kernel_name(k)) + " kernel of plugin '" + p.name() +
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

// top_k over values indexed by the store's graph rows ([store] reorder):
// row r is memory id_of[r]. The same answer as top_k over the values put back
// in id order (value, then smaller id first), without that n-float copy: ids
// no longer grow with the index, so a score that ties the worst kept one is
// compared by id rather than dropped, and a block of 8 is skipped only when
// every score in it is below the worst kept one.
std::vector<Scored> top_k_mapped(const float* values, uint64_t n, uint32_t k, bool skip_zero,
                                 const uint32_t* id_of) {
    const auto better = [](const Scored& a, const Scored& b) {
        return a.value > b.value || (a.value == b.value && a.id < b.id);
    };
    std::vector<Scored> heap;  // heap.front() is the worst of the kept
    heap.reserve(std::min<uint64_t>(k, n));
    uint64_t i = 0;
    for (; i < n && heap.size() < k; ++i) {
        if (skip_zero && values[i] == 0.0f) continue;
        heap.push_back({id_of[i], values[i]});
        std::push_heap(heap.begin(), heap.end(), better);
    }
    const auto offer = [&](uint64_t at) {
        const Scored c{id_of[at], values[at]};
        if ((skip_zero && c.value == 0.0f) || !better(c, heap.front())) return;
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = c;
        std::push_heap(heap.begin(), heap.end(), better);
    };
#if defined(__SSE2__)
    for (; i + 8 <= n; i += 8) {
        const __m128 w = _mm_set1_ps(heap.front().value);
        const __m128 ge = _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(values + i), w),
                                    _mm_cmpge_ps(_mm_loadu_ps(values + i + 4), w));
        if (_mm_movemask_ps(ge) == 0) continue;
        for (uint64_t j = i; j < i + 8; ++j) offer(j);
    }
#endif
    for (; i < n; ++i) offer(i);
    std::sort_heap(heap.begin(), heap.end(), better);
    return heap;
}

// One kernel call as the engine makes it: scratch from the request's arena,
// timed into the backend's series (and the route's latency ring while a
// rollout or watch is active), then the status and finiteness checks.
template <class Call>
void call_kernel(const Plugin& p, metrics::KernelSeries& series, LatencyRing* ring, Kernel k,
                 engram_kernel_id id, const engram_shape& shape, ArenaScope& arena, float* out,
                 uint64_t n, Call&& call) {
    const auto& t = p.table();
    const uint64_t bytes = t.scratch_bytes(id, &shape);
    void* scratch = arena.allocate(bytes);
    engram_status st;
    {
        KernelTimer timer(series, st, ring);
        st = call(t, out, scratch, bytes);
    }
    check_status(st, k, p);
    check_finite(out, n, k, p, series);
}

uint64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// One kernel call over rows [0, n) split into `ranges` (kernel_pool.h): each
// range gets its own scratch from the request's arena (sized for that
// range's shape) and runs on the lease's threads; `call(t, begin, end, out,
// scratch, cap)` computes rows [begin, end) into out[begin, end). Recorded as
// ONE call of the backend: the wall time of the whole split in the duration
// histogram and, for routes under analysis, the CPU time of all its threads
// together in the latency ring (a split call costs what its ranges cost).
// The status and finiteness checks then cover all n outputs.
template <class ShapeOf, class Call>
void call_kernel_split(KernelPool::Lease& lease, const std::vector<RowRange>& ranges,
                       const Plugin& p, metrics::KernelSeries& series, LatencyRing* ring, Kernel k,
                       engram_kernel_id id, ShapeOf shape_of, ArenaScope& arena, float* out,
                       uint64_t n, Call&& call) {
    struct Part {
        RowRange rows;
        void* scratch = nullptr;
        uint64_t cap = 0;
        engram_status st = ENGRAM_E_INTERNAL;
        uint64_t cpu_ns = 0;
    };
    struct Ctx {
        const engram_kernel_table* t;
        Part* parts;
        size_t count;
        float* out;
        bool cpu;
        Call* call;
    };
    const auto& t = p.table();
    std::vector<Part> parts(ranges.size());
    for (size_t i = 0; i < ranges.size(); ++i) {
        const engram_shape shape = shape_of(ranges[i].end - ranges[i].begin);
        parts[i].rows = ranges[i];
        parts[i].cap = t.scratch_bytes(id, &shape);
        parts[i].scratch = arena.allocate(parts[i].cap);
    }
    Ctx ctx{&t, parts.data(), parts.size(), out, ring != nullptr, &call};
    metrics::Registry::global().parallel[static_cast<size_t>(k)].split_calls.add();
    engram_status st = ENGRAM_OK;
    {
        KernelTimer timer(series, st, nullptr);
        lease.run(
            [](void* c, unsigned i) {
                const Ctx& x = *static_cast<const Ctx*>(c);
                if (i >= x.count) return;  // a thread with no range (lease_for prevents it)
                Part& part = x.parts[i];
                const uint64_t cpu0 = x.cpu ? thread_cpu_ns() : 0;
                part.st = (*x.call)(*x.t, part.rows.begin, part.rows.end, x.out + part.rows.begin,
                                    part.scratch, part.cap);
                if (x.cpu) part.cpu_ns = thread_cpu_ns() - cpu0;
            },
            &ctx);
        uint64_t cpu = 0;
        for (const Part& part : parts) {
            if (st == ENGRAM_OK) st = part.st;
            cpu += part.cpu_ns;
        }
        if (ring) ring->record(cpu);
    }
    check_status(st, k, p);
    check_finite(out, n, k, p, series);
}

// What the ranges' scratch takes from the arena (one block per range).
template <class ShapeOf>
uint64_t split_scratch_need(const engram_kernel_table& t, engram_kernel_id id,
                            const std::vector<RowRange>& ranges, ShapeOf shape_of) {
    uint64_t need = 0;
    for (const RowRange& r : ranges) {
        const engram_shape shape = shape_of(r.end - r.begin);
        need += ArenaScope::block(t.scratch_bytes(id, &shape));
    }
    return need;
}

// A per-thread draw in [0, 10000) for routing shares (xorshift64*: no lock,
// no shared cache line).
uint32_t draw_bp() {
    thread_local uint64_t s =
        0x9E3779B97F4A7C15ull ^
        static_cast<uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) ^
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32) % 10000u;
}

// FNV-1a over the request's inputs: names a mismatch example without
// keeping the inputs.
struct Digest {
    uint64_t h = 1469598103934665603ull;
    Digest& add(const void* p, size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
        return *this;
    }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
        return buf;
    }
};

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

namespace {
// CPUs in this process's affinity mask (a cpuset or taskset narrows it).
int usable_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

Engine::Engine(std::shared_ptr<const MemoryStore> store, ParallelSettings parallel)
    : store_(std::move(store)),
      parallel_(parallel),
      kernel_pool_(std::clamp(parallel.threads, 1u, kMaxKernelThreads)),
      cores_(usable_cores()) {
    tick_clock::calibration();  // the ~2 ms calibration happens here, not in the first request
    metrics::Registry::global().kernel_threads.set(static_cast<int64_t>(kernel_pool_.threads()));
}

KernelPool::Lease Engine::lease_for(Kernel k, uint64_t rows) const {
    if (rows < parallel_.min_rows || rows < 2 * kSplitAlignRows || kernel_pool_.threads() < 2)
        return {};
    // No more threads than whole 64-row blocks: split_rows makes one range
    // per block at most, and every claimed thread runs one range.
    const uint64_t blocks = rows / kSplitAlignRows;
    KernelPool::Lease lease = kernel_pool_.claim(
        static_cast<unsigned>(std::min<uint64_t>(kernel_pool_.threads(), blocks)));
    if (lease.parts() < 2) metrics::Registry::global().parallel[static_cast<size_t>(k)].busy.add();
    return lease;
}

Engine::~Engine() = default;

void Engine::install(std::shared_ptr<const KernelSet> set) {
    std::shared_ptr<const KernelSet> previous;
    {
        std::lock_guard<std::mutex> lock(set_mutex_);
        previous = std::exchange(set_, std::move(set));
    }
    // `previous` is released here, outside the lock: if this was the last
    // holder, freeing the set must not stall readers.
}

void Engine::install_routing(std::shared_ptr<const Routing> routing) {
    std::shared_ptr<const Routing> previous;
    {
        std::lock_guard<std::mutex> lock(set_mutex_);
        previous = std::exchange(routing_, std::move(routing));
    }
}

std::shared_ptr<const KernelSet> Engine::snapshot() const {
    std::lock_guard<std::mutex> lock(set_mutex_);
    return set_;
}

std::shared_ptr<const Routing> Engine::routing() const {
    std::lock_guard<std::mutex> lock(set_mutex_);
    return routing_;
}

Engine::View Engine::view() const {
    View v;
    {
        std::lock_guard<std::mutex> lock(set_mutex_);
        v.set = set_;
        v.routing = routing_;
    }
    if (!v.set) throw Error(ErrorCode::NoUsableBackend, "no kernel set installed yet");
    return v;
}

std::vector<MismatchExample> Engine::mismatches() const {
    std::lock_guard<std::mutex> lock(ring_mutex_);
    return {ring_.begin(), ring_.end()};
}

void Engine::drain_shadow() const { shadow_pool_.drain(); }

Engine::Pick Engine::pick(const View& v, Kernel k) const {
    const size_t i = static_cast<size_t>(k);
    Pick p;
    p.chosen = {&v.set->backend(k), &v.set->series(k), nullptr};
    if (!v.routing) return p;
    const KernelRoute& route = v.routing->kernels[i];
    if (!route.active()) return p;
    Side serving{&v.set->backend(k), &v.set->series(k), route.serving_latency.get()};
    if (!route.alternate) {  // a watched kernel: timed, nothing else
        p.chosen = serving;
        return p;
    }
    Side alternate{route.alternate.get(), route.alternate_series, route.alternate_latency.get()};
    p.alternate_served = route.serve_bp > 0 && draw_bp() < route.serve_bp;
    p.compare = route.compare_bp > 0 && draw_bp() < route.compare_bp;
    // Shadow work gets spare CPU only: with every usable core already busy
    // with live calls, the comparison is skipped (and counted), not queued,
    // so that it cannot lengthen the tail of the calls it would compete with.
    if (p.compare && busy(true)) {
        p.compare = false;
        metrics::Registry::global().rollout[i].shadow_busy.add();
    }
    p.chosen = p.alternate_served ? alternate : serving;
    p.other = p.alternate_served ? serving : alternate;
    return p;
}

void Engine::submit_shadow(
    const View& v, Kernel k, const Pick& p, std::vector<float> served, std::string digest,
    std::function<void(const Side&, ArenaScope&, float*)> run_other,
    std::function<std::optional<validation::Disagreement>(const float*, const float*)> agree)
    const {
    auto& counters = metrics::Registry::global().rollout[static_cast<size_t>(k)];
    auto job = [this, set = v.set, routing = v.routing, k, p, served = std::move(served),
                digest = std::move(digest), run_other = std::move(run_other),
                agree = std::move(agree)]() {
        auto& c = metrics::Registry::global().rollout[static_cast<size_t>(k)];
        const KernelRoute& route = routing->kernels[static_cast<size_t>(k)];
        // The rollout that sampled this call is over (rolled back, promoted,
        // replaced by a reload): its verdict is in, and nobody reads its tally.
        if (const auto now = this->routing();
            !now || now->kernels[static_cast<size_t>(k)].tally != route.tally)
            return;
        // The cores filled up while this job waited? The call that sampled
        // it may itself still be returning (it counts until it has), so
        // look again for a short while before giving up the comparison.
        for (int look = 0; busy(false); ++look) {
            if (look == kShadowBusyLooks) {
                c.shadow_busy.add();
                return;
            }
            std::this_thread::sleep_for(kShadowBusyPause);
        }
        std::vector<float> other(served.size());
        std::optional<validation::Disagreement> d;
        try {
            ArenaScope arena;
            run_other(p.other, arena, other.data());
            // The set's serving backend is the control, the alternate the candidate.
            d = p.alternate_served ? agree(other.data(), served.data())
                                   : agree(served.data(), other.data());
        } catch (const std::exception& e) {
            d = validation::Disagreement{1, 0, 0, 0,
                                         std::string("the other backend failed: ") + e.what()};
        }
        if (d) {
            // The example first, the counters after: a rollout rolled back
            // for this mismatch already has it to show.
            MismatchExample m{unix_now(),          kernel_name(k), set->backend(k).name(),
                              route.alternate_key, digest,         d->what};
            std::lock_guard<std::mutex> lock(ring_mutex_);
            ring_.push_back(std::move(m));
            while (ring_.size() > kMismatchRing) ring_.pop_front();
        }
        // The comparison before its mismatch: a judge reading between the
        // two never sees more mismatches than comparisons.
        c.shadow_comparisons.add();
        if (route.tally) route.tally->comparisons.fetch_add(1);
        if (!d) return;
        if (route.tally) route.tally->mismatches.fetch_add(1);
        c.shadow_mismatches.add();
    };
    if (!shadow_pool_.try_submit(std::move(job))) counters.shadow_dropped.add();
}

KernelAnswer Engine::find_similar(std::span<const float> query, uint32_t k) const {
    const MemoryStore& s = *store_;
    if (query.size() != s.dim)
        bad_request("query has " + std::to_string(query.size()) + " dimensions, the store has " +
                    std::to_string(s.dim));
    for (size_t i = 0; i < query.size(); ++i)
        if (!std::isfinite(query[i])) bad_request("query[" + std::to_string(i) + "] is not finite");
    if (k < 1 || k > kMaxK) bad_request("k must be in 1.." + std::to_string(kMaxK));

    const InFlight live(in_flight_);
    const View v = view();  // held until return: the plugins stay loaded
    const Pick p = pick(v, Kernel::Similarity);
    ArenaScope arena;
    // The kernel that fits the store's format (ABI 1.1 for bf16 / int8; the
    // kernel set refused any backend that does not offer it).
    const EmbeddingFormat format = s.format;
    const engram_kernel_id id = format == EmbeddingFormat::Bf16   ? ENGRAM_KERNEL_SIMILARITY_BF16
                                : format == EmbeddingFormat::Int8 ? ENGRAM_KERNEL_SIMILARITY_INT8
                                                                  : ENGRAM_KERNEL_SIMILARITY;
    // Rows [b, e) of the store scored against q by that kernel: the whole
    // store in one call, or one range of a split call.
    const auto rows = [&s, format](const engram_kernel_table& t, const float* q, uint64_t b,
                                   uint64_t e, float* o, void* sc, uint64_t cap) {
        if (format == EmbeddingFormat::Bf16) {
            if (!t.similarity_bf16) return engram_status{ENGRAM_E_INVALID_ARGUMENT};
            return t.similarity_bf16(q, s.embeddings_bf16.data() + b * s.dim, s.norms.data() + b,
                                     e - b, s.dim, o, sc, cap);
        }
        if (format == EmbeddingFormat::Int8) {
            if (!t.similarity_int8) return engram_status{ENGRAM_E_INVALID_ARGUMENT};
            return t.similarity_int8(q, s.embeddings_int8.data() + b * s.dim, s.scales.data() + b,
                                     s.norms.data() + b, e - b, s.dim, o, sc, cap);
        }
        return t.similarity(q, s.embeddings.data() + b * s.dim, s.norms.data() + b, e - b, s.dim, o,
                            sc, cap);
    };
    // A large store: rows split over the kernel pool's idle threads.
    KernelPool::Lease lease = lease_for(Kernel::Similarity, s.n);
    const std::vector<RowRange> ranges = split_rows(s.n, lease.parts());
    const auto shape_of = [&s](uint64_t n) { return engram_shape{n, s.dim, 0}; };
    // The whole need first: a refused request still reports all of it.
    arena.reserve(ArenaScope::block(s.n * sizeof(float)) +
                  split_scratch_need(p.chosen.plugin->table(), id, ranges, shape_of));
    float* scores = arena.allocate_array<float>(s.n);
    // One call on `side` for the query q (the request's or the shadow job's copy).
    const auto call = [&s, id, rows](const Side& side, ArenaScope& a, float* out, const float* q) {
        call_kernel(*side.plugin, *side.series, side.ring, Kernel::Similarity, id, {s.n, s.dim, 0},
                    a, out, s.n,
                    [&](const engram_kernel_table& t, float* o, void* sc, uint64_t cap) {
                        return rows(t, q, 0, s.n, o, sc, cap);
                    });
    };
    if (ranges.size() > 1) {
        // The pool's helpers are live work too (shadow jobs yield to them).
        const InFlight helpers(in_flight_, static_cast<int>(ranges.size()) - 1);
        call_kernel_split(
            lease, ranges, *p.chosen.plugin, *p.chosen.series, p.chosen.ring, Kernel::Similarity,
            id, shape_of, arena, scores, s.n,
            [&rows, query](const engram_kernel_table& t, uint64_t b, uint64_t e, float* o, void* sc,
                           uint64_t cap) { return rows(t, query.data(), b, e, o, sc, cap); });
    } else {
        call(p.chosen, arena, scores, query.data());
    }
    if (p.compare) {
        std::vector<float> q(query.begin(), query.end());
        submit_shadow(
            v, Kernel::Similarity, p, std::vector<float>(scores, scores + s.n),
            Digest().add(q.data(), q.size() * sizeof(float)).add(&k, sizeof k).hex(),
            [call, q](const Side& side, ArenaScope& a, float* out) {
                call(side, a, out, q.data());
            },
            [n = s.n, k](const float* a, const float* b) {
                return validation::agree_similarity(a, b, n, k);
            });
    }
    return {top_k(scores, s.n, k, false), p.chosen.plugin->name(), v.set->generation()};
}

namespace {

// ABI 1.2: a backend that offers spread_push is given the store's out-edges
// too, and pushes from the few firing sources (the same result within the
// spreading tolerance). Only when its larger scratch (17n + 128 bytes against
// the pull's 4n) still fits the arena with the activations: a store that
// served /v1/spread before keeps serving it, by the pull it always had.
bool use_spread_push(const engram_kernel_table& t, const MemoryStore& s) {
    if (!t.spread_push || !s.has_out_edges()) return false;
    const engram_shape shape{s.n, 0, s.sources.size()};
    const uint64_t scratch = t.scratch_bytes(ENGRAM_KERNEL_SPREAD_PUSH, &shape);
    const uint64_t size = current_arena_settings().size;  // <= 64 GiB: no overflow below
    return scratch <= size &&
           ArenaScope::block(s.n * sizeof(float)) + ArenaScope::block(scratch) <= size;
}

}  // namespace

KernelAnswer Engine::spread(const SpreadRequest& r) const {
    const MemoryStore& s = *store_;
    if (r.seeds.empty()) bad_request("seeds must not be empty");
    for (uint32_t id : r.seeds)
        if (id >= s.n) bad_request("unknown memory id " + std::to_string(id));
    if (r.iterations > kMaxIterations)
        bad_request("iterations must be in 0.." + std::to_string(kMaxIterations));
    // Bounded so that 1000 iterations over any store stay finite in float: a
    // larger factor would overflow in every backend and blame the plugin.
    if (!std::isfinite(r.decay) || r.decay < 0.0f || r.decay > kMaxSpreadDecay)
        bad_request("decay must be in 0.." + std::to_string(static_cast<int>(kMaxSpreadDecay)));
    if (!std::isfinite(r.threshold)) bad_request("threshold must be finite");
    if (r.top < 1 || r.top > kMaxK) bad_request("top must be in 1.." + std::to_string(kMaxK));

    const InFlight live(in_flight_);
    const View v = view();
    const Pick p = pick(v, Kernel::Spreading);
    const engram_spread_params params{r.iterations, r.decay, r.threshold};
    // Seeds are applied inside the call: the other backend of a compared
    // call starts from the same activations. Activations are indexed by the
    // store's graph rows ([store] reorder): memory id i is row graph_slot[i].
    const auto run = [&s, params, seeds = r.seeds](const Side& side, ArenaScope& a, float* act) {
        std::fill(act, act + s.n, 0.0f);
        for (uint32_t id : seeds) act[s.graph_reordered() ? s.graph_slot[id] : id] = 1.0f;
        if (use_spread_push(side.plugin->table(), s)) {
            const engram_out_edges out{s.out_offsets.data(), s.targets.data(),
                                       s.out_weights.data()};
            call_kernel(*side.plugin, *side.series, side.ring, Kernel::Spreading,
                        ENGRAM_KERNEL_SPREAD_PUSH, {s.n, 0, s.sources.size()}, a, act, s.n,
                        [&](const engram_kernel_table& t, float* o, void* sc, uint64_t cap) {
                            return t.spread_push(s.offsets.data(), s.sources.data(),
                                                 s.weights.data(), &out, s.n, &params, o, sc, cap);
                        });
            return;
        }
        call_kernel(*side.plugin, *side.series, side.ring, Kernel::Spreading,
                    ENGRAM_KERNEL_SPREADING, {s.n, 0, s.sources.size()}, a, act, s.n,
                    [&](const engram_kernel_table& t, float* o, void* sc, uint64_t cap) {
                        return t.spread(s.offsets.data(), s.sources.data(), s.weights.data(), s.n,
                                        &params, o, sc, cap);
                    });
    };
    ArenaScope arena;
    const engram_shape spread_shape{s.n, 0, s.sources.size()};
    const engram_kernel_table& chosen = p.chosen.plugin->table();
    arena.reserve(
        ArenaScope::block(s.n * sizeof(float)) +
        ArenaScope::block(chosen.scratch_bytes(
            use_spread_push(chosen, s) ? ENGRAM_KERNEL_SPREAD_PUSH : ENGRAM_KERNEL_SPREADING,
            &spread_shape)));
    float* act = arena.allocate_array<float>(s.n);
    run(p.chosen, arena, act);
    if (p.compare)
        submit_shadow(v, Kernel::Spreading, p, std::vector<float>(act, act + s.n),
                      Digest()
                          .add(r.seeds.data(), r.seeds.size() * sizeof(uint32_t))
                          .add(&params, sizeof params)
                          .hex(),
                      run, [n = s.n](const float* a, const float* b) {
                          return validation::agree_spread(a, b, n);
                      });
    // act[r] is memory graph_id[r] when the store is reordered.
    return {s.graph_reordered() ? top_k_mapped(act, s.n, r.top, true, s.graph_id.data())
                                : top_k(act, s.n, r.top, true),
            p.chosen.plugin->name(), v.set->generation()};
}

KernelAnswer Engine::retention(std::span<const uint32_t> ids, double now) const {
    const MemoryStore& s = *store_;
    if (ids.empty()) bad_request("ids must not be empty");
    if (ids.size() > 1'000'000) bad_request("at most 1000000 ids per request");
    if (!std::isfinite(now)) bad_request("now must be finite");
    ArenaScope arena;
    const uint64_t n = ids.size();
    const InFlight live(in_flight_);
    const View v = view();
    const Pick p = pick(v, Kernel::Decay);
    KernelPool::Lease lease = lease_for(Kernel::Decay, n);
    const std::vector<RowRange> ranges = split_rows(n, lease.parts());
    const auto shape_of = [](uint64_t rows) { return engram_shape{rows, 0, 0}; };
    arena.reserve(
        4 * ArenaScope::block(n * sizeof(float)) +
        split_scratch_need(p.chosen.plugin->table(), ENGRAM_KERNEL_DECAY, ranges, shape_of));
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
    // stability_scalar = 0 with an array: the host's documented convention.
    const auto run_on = [n](const float* st, const float* ag, const float* sb) {
        return [n, st, ag, sb](const Side& side, ArenaScope& a, float* o) {
            call_kernel(*side.plugin, *side.series, side.ring, Kernel::Decay, ENGRAM_KERNEL_DECAY,
                        {n, 0, 0}, a, o, n,
                        [&](const engram_kernel_table& t, float* res, void* sc, uint64_t cap) {
                            return t.decay(st, ag, sb, 0.0f, n, res, sc, cap);
                        });
        };
    };
    if (ranges.size() > 1) {
        // The pool's helpers are live work too (shadow jobs yield to them).
        const InFlight helpers(in_flight_, static_cast<int>(ranges.size()) - 1);
        call_kernel_split(lease, ranges, *p.chosen.plugin, *p.chosen.series, p.chosen.ring,
                          Kernel::Decay, ENGRAM_KERNEL_DECAY, shape_of, arena, out, n,
                          [strength, age, stability](const engram_kernel_table& t, uint64_t b,
                                                     uint64_t e, float* o, void* sc, uint64_t cap) {
                              return t.decay(strength + b, age + b, stability + b, 0.0f, e - b, o,
                                             sc, cap);
                          });
    } else {
        run_on(strength, age, stability)(p.chosen, arena, out);
    }
    if (p.compare) {
        // The job outlives this request's arena: it owns copies of the inputs.
        auto inputs = std::make_shared<std::vector<float>>();
        inputs->insert(inputs->end(), strength, strength + n);
        inputs->insert(inputs->end(), age, age + n);
        inputs->insert(inputs->end(), stability, stability + n);
        const float* in = inputs->data();
        auto run_copy = run_on(in, in + n, in + 2 * n);
        submit_shadow(
            v, Kernel::Decay, p, std::vector<float>(out, out + n),
            Digest().add(ids.data(), n * sizeof(uint32_t)).add(&now, sizeof now).hex(),
            [inputs, run_copy](const Side& side, ArenaScope& a, float* o) { run_copy(side, a, o); },
            [inputs, n](const float* a, const float* b) {
                return validation::agree_decay(a, b, inputs->data(), n);
            });
    }
    KernelAnswer a{{}, p.chosen.plugin->name(), v.set->generation()};
    a.items.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) a.items.push_back({ids[i], out[i]});
    return a;
}

}  // namespace engram
