// The kernel thread pool: how one large request runs its kernel on more than
// one core ([server] kernel_threads, docs/internal/kernels.md "Large requests
// on several threads").
//
// The host splits the request's rows into contiguous ranges whose
// boundaries are multiples of kSplitAlignRows and calls the plugin (which is
// single-threaded and reentrant) once per range, each call with its own
// scratch, on the requesting thread and on helper threads of this pool. The
// outputs are disjoint slices of one array, so "merging" is nothing more than
// waiting for every range: the answer is bit-identical to one call over all
// rows (each row's value depends on that row alone, and a 64-aligned split
// keeps every vector block and every tail where one call would have them).
//
// Bounded: the pool owns kernel_threads - 1 helpers and a request claims only
// helpers that are idle at that moment, never waiting for one. A request that
// finds every helper busy runs on its own thread, as with kernel_threads = 1;
// so at most kernel_threads kernel calls of one request run at once, and the
// helpers add at most kernel_threads - 1 threads to the server's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace engram {

// Split boundaries are multiples of this many rows (and every range holds at
// least this many): a multiple of every backend's vector width and row block.
inline constexpr uint64_t kSplitAlignRows = 64;
// The smallest request that is split unless [server] kernel_split_min_rows
// says otherwise: rows of the store for similarity, ids for decay. Below it
// the hand-off (~10-30 us) is a visible share of the call.
inline constexpr uint64_t kDefaultSplitMinRows = 100000;
// [server] kernel_threads is 1..kMaxKernelThreads.
inline constexpr unsigned kMaxKernelThreads = 64;

// min(2, std::thread::hardware_concurrency()), at least 1: the default of
// [server] kernel_threads.
unsigned default_kernel_threads();

struct RowRange {
    uint64_t begin = 0, end = 0;
};

// [0, n) as at most `parts` contiguous ranges, in order, of nearly equal
// size: every boundary a multiple of kSplitAlignRows and every range at
// least kSplitAlignRows rows long (so fewer ranges when n is small; one
// range [0, n) when parts <= 1 or n < 2 * kSplitAlignRows).
std::vector<RowRange> split_rows(uint64_t n, unsigned parts);

struct ParallelSettings {
    unsigned threads = default_kernel_threads();  // 1: never split
    uint64_t min_rows = kDefaultSplitMinRows;     // split requests of at least this many rows
};

class KernelPool {
  public:
    // threads - 1 helper threads (none for threads <= 1).
    explicit KernelPool(unsigned threads);
    ~KernelPool();
    KernelPool(const KernelPool&) = delete;
    KernelPool& operator=(const KernelPool&) = delete;

    unsigned threads() const { return static_cast<unsigned>(helpers_.size()) + 1; }

    // Helpers claimed for one request; released when run() returns or when
    // the lease is destroyed unused (a request refused before its kernel ran).
    class Lease {
      public:
        Lease() = default;
        Lease(Lease&& o) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease();
        // Threads the request may use: 1 + claimed helpers.
        unsigned parts() const { return static_cast<unsigned>(claimed_.size()) + 1; }
        // Runs task(ctx, p) for every p in [0, parts): part 0 on this thread,
        // the others on the claimed helpers, and returns when all are done
        // (the helpers are then released). `task` must not throw.
        void run(void (*task)(void* ctx, unsigned part), void* ctx);

      private:
        friend class KernelPool;
        KernelPool* pool_ = nullptr;
        std::vector<struct KernelHelper*> claimed_;
    };

    // Claims up to want - 1 idle helpers, never waiting: an empty lease (one
    // part) when want <= 1 or every helper is busy.
    Lease claim(unsigned want);

  private:
    void release(std::vector<KernelHelper*>& helpers);
    void loop(KernelHelper* h);

    std::mutex mutex_;
    std::vector<KernelHelper*> idle_;
    std::vector<std::unique_ptr<KernelHelper>> helpers_;
    bool stopping_ = false;
};

}  // namespace engram
