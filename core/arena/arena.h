// The per-thread scratch arena: every temporary a request needs (kernel
// scratch, score and activation vectors, gathered inputs) is bump-allocated
// from this thread's arena and released all at once when the request ends.
// The host owns it (a thread_local here is safe: this code is never
// unloaded); kernels only ever see pointer + capacity.
//
// When a request needs more than the arena holds, the overflow policy says
// what happens, and it is always what it says:
//   panic    - abort the process with a message naming the size needed;
//   error    - fail only that request (E_ARENA_OVERFLOW, HTTP 507);
//   fallback - serve the request from the heap and count the overflow.
// Never zeros or garbage in place of a result.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace engram {

enum class OverflowPolicy { Panic, Error, Fallback };
const char* overflow_policy_name(OverflowPolicy p);

// The default size (16 MiB) holds the largest request the API accepts on
// any store: POST /v1/retention with 1,000,000 ids needs four float arrays,
// 16,000,000 bytes (docs/operations/performance_kernels.md, "Arena sizing").
// Pages the arena never touches are never resident.
inline constexpr uint64_t kDefaultArenaSize = uint64_t{16} << 20;

struct ArenaSettings {
    uint64_t size = kDefaultArenaSize;
    OverflowPolicy policy = OverflowPolicy::Error;
};

// TOML [arena] overridden by ENGRAM_ARENA_SIZE / ENGRAM_ARENA_OVERFLOW.
// An invalid value is engram::Error(E_ENV_INVALID | E_CONFIG_VALUE), never a
// silent default.
ArenaSettings resolve_arena_settings(const ArenaConfig& toml);

// Applies new settings to every thread's arena; each thread re-sizes its own
// buffer at its next request (never under another thread's feet).
void configure_arenas(const ArenaSettings& settings);
ArenaSettings current_arena_settings();

struct ArenaThreadStats {
    uint64_t thread_index;
    uint64_t resets;
    uint64_t overflows;
    uint64_t high_water_bytes;  // the largest need of one request, served or not
};
struct ArenaStats {
    ArenaSettings settings;
    std::vector<ArenaThreadStats> threads;
    uint64_t resets = 0, overflows = 0, high_water_bytes = 0;  // totals / max
};
ArenaStats arena_stats();

// One request's use of this thread's arena. Allocations are 64-byte aligned
// and live until the scope ends.
class ArenaScope {
  public:
    ArenaScope();
    ~ArenaScope();
    ArenaScope(const ArenaScope&) = delete;
    ArenaScope& operator=(const ArenaScope&) = delete;

    void* allocate(uint64_t bytes);
    // Declares that this request will need `bytes` in all (sum of block()
    // of every allocation it is about to make). The declared need counts in
    // the high-water mark at once, and a need that does not fit is an
    // overflow right here, under every policy exactly as in allocate() —
    // so a request refused under `error` (or aborted under `panic`) still
    // reports its whole need, not just the part allocated before the refusal.
    void reserve(uint64_t bytes);
    // What an allocation of `bytes` takes from the arena (64-byte blocks).
    static constexpr uint64_t block(uint64_t bytes) { return (bytes + 63) / 64 * 64; }
    template <class T>
    T* allocate_array(uint64_t count) {
        return static_cast<T*>(allocate(count * sizeof(T)));
    }
    uint64_t used() const;

  private:
    struct ThreadArena* arena_;
};

}  // namespace engram
