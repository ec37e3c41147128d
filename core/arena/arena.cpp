#include "arena/arena.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>

#include "common/error.h"
#include "config/config_values.h"
#include "metrics/registry.h"

namespace engram {

namespace {

std::atomic<uint64_t> g_size{kDefaultArenaSize};
std::atomic<int> g_policy{static_cast<int>(OverflowPolicy::Error)};
std::atomic<uint64_t> g_epoch{1};

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

void* aligned_block(uint64_t bytes) {
    const uint64_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p) throw std::bad_alloc();
    return p;
}

// Stats outlive their thread so totals stay monotonic after a pool shrinks.
struct SharedStats {
    uint64_t index;
    std::atomic<uint64_t> resets{0}, overflows{0}, high_water{0};
};

std::mutex g_stats_mutex;
std::vector<std::shared_ptr<SharedStats>>& all_stats() {
    static std::vector<std::shared_ptr<SharedStats>> v;
    return v;
}

bool parse_policy(const std::string& s, OverflowPolicy* out) {
    if (s == "panic")
        *out = OverflowPolicy::Panic;
    else if (s == "error")
        *out = OverflowPolicy::Error;
    else if (s == "fallback")
        *out = OverflowPolicy::Fallback;
    else
        return false;
    return true;
}

}  // namespace

struct ThreadArena {
    std::unique_ptr<void, FreeDeleter> buffer;
    uint64_t capacity = 0;
    uint64_t epoch = 0;
    uint64_t offset = 0;    // bytes used in buffer
    uint64_t needed = 0;    // bytes this request asked for, in or out of the buffer
    uint64_t declared = 0;  // bytes this request said it will need (reserve)
    bool overflowed = false;
    int depth = 0;  // nested scopes (a helper inside a request) share the request's arena
    std::vector<std::unique_ptr<void, FreeDeleter>> heap;  // fallback blocks
    std::shared_ptr<SharedStats> stats;

    ThreadArena() {
        std::lock_guard<std::mutex> lock(g_stats_mutex);
        stats = std::make_shared<SharedStats>();
        stats->index = all_stats().size();
        all_stats().push_back(stats);
    }

    void begin() {
        if (depth++ > 0) return;
        const uint64_t e = g_epoch.load(std::memory_order_acquire);
        if (e != epoch) {
            const uint64_t size = g_size.load(std::memory_order_acquire);
            if (size != capacity) {
                buffer.reset(aligned_block(size));
                capacity = size;
            }
            epoch = e;
        }
        offset = needed = declared = 0;
        overflowed = false;
    }

    void end() {
        if (--depth > 0) return;
        stats->resets.fetch_add(1, std::memory_order_relaxed);
        // The request's demand: what it allocated, or what it declared it
        // would need if more (a request refused before allocating it all).
        const uint64_t demand = std::max(needed, declared);
        uint64_t hw = stats->high_water.load(std::memory_order_relaxed);
        while (demand > hw && !stats->high_water.compare_exchange_weak(hw, demand)) {
        }
        metrics::Registry::global().arena_high_water_bytes.raise_to(static_cast<int64_t>(demand));
        heap.clear();
    }

    void reserve(uint64_t bytes) {
        declared = std::max(declared, needed + bytes);
        if (offset + bytes <= capacity) return;
        overflow(declared);
    }

    void* allocate(uint64_t bytes) {
        const uint64_t aligned = ArenaScope::block(bytes);
        needed += aligned;
        if (offset + aligned <= capacity) {
            void* p = static_cast<char*>(buffer.get()) + offset;
            offset += aligned;
            return p;
        }
        overflow(std::max(needed, declared));
        heap.emplace_back(aligned_block(aligned));
        return heap.back().get();
    }

    // Counts the overflow once per request and applies the policy; returns
    // only under fallback. `need`: the request's whole need as known now.
    void overflow(uint64_t need) {
        const auto policy = static_cast<OverflowPolicy>(g_policy.load(std::memory_order_relaxed));
        if (!overflowed) {
            overflowed = true;
            stats->overflows.fetch_add(1, std::memory_order_relaxed);
            metrics::Registry::global().arena_overflows.add();
        }
        switch (policy) {
            case OverflowPolicy::Panic:
                std::fprintf(
                    stderr,
                    "engramd: FATAL E_ARENA_OVERFLOW: a request needed at least %llu bytes of "
                    "scratch, the per-thread arena holds %llu (overflow policy panic); "
                    "raise [arena] size or ENGRAM_ARENA_SIZE\n",
                    static_cast<unsigned long long>(need),
                    static_cast<unsigned long long>(capacity));
                std::fflush(stderr);
                std::abort();
            case OverflowPolicy::Error:
                throw Error(ErrorCode::ArenaOverflow,
                            "request needs at least " + std::to_string(need) +
                                " bytes of scratch, the per-thread arena holds " +
                                std::to_string(capacity) + " (overflow policy error)");
            case OverflowPolicy::Fallback:
                break;
        }
    }
};

namespace {
ThreadArena& this_thread_arena() {
    thread_local ThreadArena arena;
    return arena;
}
}  // namespace

const char* overflow_policy_name(OverflowPolicy p) {
    switch (p) {
        case OverflowPolicy::Panic:
            return "panic";
        case OverflowPolicy::Error:
            return "error";
        case OverflowPolicy::Fallback:
            return "fallback";
    }
    return "error";
}

ArenaSettings resolve_arena_settings(const ArenaConfig& toml) {
    ArenaSettings s;
    s.size = toml.size;
    if (!parse_policy(toml.overflow, &s.policy))
        throw Error(ErrorCode::ConfigValue,
                    "[arena] overflow: unknown policy '" + toml.overflow + "'");
    if (const char* env = std::getenv("ENGRAM_ARENA_SIZE")) {
        std::string reason;
        const auto size = config_values::parse_size(env, reason);
        if (!size)
            throw Error(ErrorCode::EnvInvalid,
                        std::string("ENGRAM_ARENA_SIZE='") + env + "': " + reason);
        if (*size < 4096 || *size > (uint64_t{64} << 30))
            throw Error(ErrorCode::EnvInvalid, std::string("ENGRAM_ARENA_SIZE='") + env +
                                                   "': must be 4096 bytes .. 64 GiB");
        s.size = *size;
    }
    if (const char* env = std::getenv("ENGRAM_ARENA_OVERFLOW")) {
        if (!parse_policy(env, &s.policy))
            throw Error(ErrorCode::EnvInvalid, std::string("ENGRAM_ARENA_OVERFLOW='") + env +
                                                   "': must be panic, error or fallback");
    }
    return s;
}

void configure_arenas(const ArenaSettings& settings) {
    g_size.store(settings.size, std::memory_order_release);
    g_policy.store(static_cast<int>(settings.policy), std::memory_order_release);
    g_epoch.fetch_add(1, std::memory_order_acq_rel);
    metrics::Registry::global().arena_size_bytes.set(static_cast<int64_t>(settings.size));
}

ArenaSettings current_arena_settings() {
    return {g_size.load(std::memory_order_acquire),
            static_cast<OverflowPolicy>(g_policy.load(std::memory_order_acquire))};
}

ArenaStats arena_stats() {
    ArenaStats out;
    out.settings = current_arena_settings();
    std::lock_guard<std::mutex> lock(g_stats_mutex);
    for (const auto& s : all_stats()) {
        ArenaThreadStats t{s->index, s->resets.load(), s->overflows.load(), s->high_water.load()};
        out.resets += t.resets;
        out.overflows += t.overflows;
        out.high_water_bytes = std::max(out.high_water_bytes, t.high_water_bytes);
        out.threads.push_back(t);
    }
    return out;
}

ArenaScope::ArenaScope() : arena_(&this_thread_arena()) { arena_->begin(); }
ArenaScope::~ArenaScope() { arena_->end(); }
void* ArenaScope::allocate(uint64_t bytes) { return arena_->allocate(bytes); }
void ArenaScope::reserve(uint64_t bytes) { arena_->reserve(bytes); }
uint64_t ArenaScope::used() const { return arena_->needed; }

}  // namespace engram
