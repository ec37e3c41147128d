// One table source for the whole zoo of deliberately broken plugins: each zoo
// plugin is this file compiled with one ZOO_* define, linked with the
// reference kernels, so exactly one thing is wrong with it.
#include <engram/kernel_abi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "kernels.h"

namespace {

// Misbehaviours, one per plugin. Each wraps the reference kernel and breaks
// it in exactly one way; several only break above n = 64 so that the tiny
// in-process canaries pass and only the deep self-test in the child can tell.
[[maybe_unused]] void crash_now() {
    // A real SIGSEGV: an unmapped, aligned, non-null address (a null store
    // would be stopped first by UBSan in the sanitizer builds).
    volatile int* volatile nowhere = reinterpret_cast<volatile int*>(uintptr_t{64});
    *nowhere = 1;
}

#if defined(ZOO_CTOR_CRASH)
// Crashes as soon as the library is mapped, before any table is read.
__attribute__((constructor)) void crash_at_load() { crash_now(); }
#endif

#if defined(ZOO_FORK)
// Forks a process at load that lives on (sleeping, holding every descriptor
// it inherited, the validator's result pipe among them): the validation must
// still end on time, refuse it, and leave no process of it behind.
__attribute__((constructor)) void fork_at_load() {
    if (::fork() == 0) {
        ::sleep(600);
        ::_exit(0);
    }
}
#endif

#if defined(ZOO_THREAD)
// Starts a thread on the first call that keeps running plugin code forever:
// the host must never unmap a plugin such a thread may still run in.
std::atomic<uint64_t> g_ticks{0};
void start_ticker() {
    static std::once_flag once;
    std::call_once(once, [] {
        std::thread([] {
            for (;;) {
                g_ticks.fetch_add(1);
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }).detach();
    });
}
#endif

engram_status similarity(const float* q, const float* c, const float* norms, uint64_t n,
                         uint64_t dim, float* scores, void* scratch, uint64_t cap) {
#if defined(ZOO_CRASH)
    crash_now();
#elif defined(ZOO_HANG)
    for (;;) asm volatile("" ::: "memory");  // spins for ever, and the compiler may not drop it
#elif defined(ZOO_CRASH_LARGE)
    if (n > 64) crash_now();
#elif defined(ZOO_STORE_WRITER)
    if (n > 64) const_cast<float*>(c)[0] = 0.0f;  // "normalises" the const candidates in place
#elif defined(ZOO_LEAK)
    // Keeps 1 MiB per call, touched, never freed (published through a
    // volatile global so the compiler cannot drop the allocation).
    static void* volatile g_last = nullptr;
    if (void* p = std::malloc(1 << 20)) {
        std::memset(p, 1, 1 << 20);
        g_last = p;
    }
#elif defined(ZOO_THREAD)
    start_ticker();
#elif defined(ZOO_EXIT_WHEN_SERVING)
    // Right on every test shape, but "done" on the server tests' store
    // (2000 x 64): what the exit guard is for.
    if (n == 2000 && dim == 64) std::exit(0);
#endif
#if defined(ZOO_ERROR_HUGE_N)
    if (n > 5000) return ENGRAM_E_INTERNAL;  // fails on stores larger than validation tries
#endif
    engram_status st = engram_reference::similarity(q, c, norms, n, dim, scores, scratch, cap);
#if defined(ZOO_SLOW)
    // Right, but twice the work: the answer computed again.
    if (st == ENGRAM_OK)
        st = engram_reference::similarity(q, c, norms, n, dim, scores, scratch, cap);
#endif
#if defined(ZOO_WRONG_NUMERICS)
    for (uint64_t i = 0; i < n; ++i) scores[i] *= 0.9f;  // off by 10%: only the oracle can tell
#elif defined(ZOO_WRONG_LARGE)
    if (n > 64)
        for (uint64_t i = 0; i < n; ++i) scores[i] *= 0.9f;
#elif defined(ZOO_WRONG_HUGE_N)
    // Right on every shape validation tries (n <= 4097), 10 % off on stores
    // of more than 5000 memories: what only production data shows.
    if (n > 5000)
        for (uint64_t i = 0; i < n; ++i) scores[i] *= 0.9f;
#elif defined(ZOO_NAN)
    if (n > 64) scores[n / 2] = std::numeric_limits<float>::quiet_NaN();
#elif defined(ZOO_OUT_OF_BOUNDS)
    if (n > 64) scores[n] = 0.0f;  // one element past the end
#endif
    return st;
}

engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n, const engram_spread_params* p, float* act, void* scratch,
                     uint64_t cap) {
#if defined(ZOO_ABORT)
    std::abort();
#endif
    return engram_reference::spread(offsets, sources, weights, n, p, act, scratch, cap);
}

engram_status decay(const float* strength, const float* age, const float* stability, float scalar,
                    uint64_t n, float* out, void* scratch, uint64_t cap) {
#if defined(ZOO_ERROR_STATUS)
    return ENGRAM_E_INTERNAL;
#elif defined(ZOO_EXIT)
    std::exit(0);  // "done": ends whatever process called it, with status 0
#elif defined(ZOO_REJECT_ZERO_SCALAR)
    // Reads the header's "stability > 0" as applying to the scalar too.
    if (!(scalar > 0.0f)) return ENGRAM_E_INVALID_ARGUMENT;
#endif
    return engram_reference::decay(strength, age, stability, scalar, n, out, scratch, cap);
}

#if defined(ZOO_WRONG_INT8)
// ABI 1.1: right float similarity, an int8 kernel 10 % off (as if it forgot
// part of the scale): only the compressed checks can tell.
engram_status similarity_int8(const float* q, const int8_t* c, const float* scales,
                              const float* norms, uint64_t n, uint64_t dim, float* scores,
                              void* scratch, uint64_t cap) {
    const engram_status st =
        engram_reference::similarity_int8(q, c, scales, norms, n, dim, scores, scratch, cap);
    for (uint64_t i = 0; i < n; ++i) scores[i] *= 0.9f;
    return st;
}
#endif

#if defined(ZOO_WRONG_PUSH)
// ABI 1.2: right spread, a spread_push that loses a tenth of every pushed
// sum (as if it dropped edges): only the spread_push checks can tell.
engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n, const engram_spread_params* p,
                          float* act, void* scratch, uint64_t cap) {
    if (!p) return ENGRAM_E_INVALID_ARGUMENT;
    engram_spread_params q = *p;
    q.decay *= 0.9f;
    return engram_reference::spread_push(offsets, sources, weights, out, n, &q, act, scratch, cap);
}
#endif

#if defined(ZOO_CPU_FEATURE)
// A feature this CPU cannot have: NEON on x86-64, AVX2 on AArch64.
#if defined(__x86_64__)
constexpr uint64_t kFeatures = ENGRAM_CPU_NEON;
#else
constexpr uint64_t kFeatures = ENGRAM_CPU_AVX2;
#endif
#else
constexpr uint64_t kFeatures = 0;
#endif

#if defined(ZOO_NEWER_MINOR)
// A plugin from a future ABI 1.x: a larger table with a field this host does
// not know. The host must accept it, ignore the tail, and still read the 1.1
// and 1.2 fields it does know (it offers the reference compressed kernels
// and spread_push).
struct FutureTable {
    engram_kernel_table v1_0;
    void* future_kernel;
};
#endif

#ifndef ZOO_VERSION
#define ZOO_VERSION "1.0.0"
#endif
#ifndef ZOO_NAME
#define ZOO_NAME "zoo"
#endif

const engram_kernel_table kTable = {
#if defined(ZOO_STRUCT_TOO_SMALL)
    static_cast<uint32_t>(ENGRAM_KERNEL_TABLE_V1_0_SIZE - sizeof(void*)),
#else
    sizeof(engram_kernel_table),
#endif
#if defined(ZOO_WRONG_MAJOR)
    ENGRAM_ABI_MAJOR + 1,
#else
    ENGRAM_ABI_MAJOR,
#endif
    ENGRAM_ABI_MINOR,
#if defined(ZOO_BAD_NAME)
    "Bad Name!",
#elif defined(ZOO_IMPOSTOR)
    "reference",  // calls itself the reference backend
#elif defined(ZOO_LONG_NAME)
    "zoo_a_name_that_goes_on_and_on_well_past_the_documented_limit_of_sixty_four_chars",
#else
    ZOO_NAME,
#endif
    ZOO_VERSION,
    "plugin zoo",
    kFeatures,
#if defined(ZOO_NULL_KERNEL)
    nullptr,
#else
    similarity,
#endif
    spread,
    decay,
    &engram_reference::scratch_bytes,
    nullptr,  // ABI 1.1: the zoo offers no compressed kernels (but newer_minor does)
#if defined(ZOO_WRONG_INT8)
    similarity_int8,
#else
    nullptr,
#endif
#if defined(ZOO_WRONG_PUSH)
    spread_push,  // ABI 1.2
#else
    nullptr,  // ABI 1.2: no spread_push (the host calls spread)
#endif
};

#if defined(ZOO_NEWER_MINOR)
const FutureTable kFuture = {
    {sizeof(FutureTable), ENGRAM_ABI_MAJOR, ENGRAM_ABI_MINOR + 3, ZOO_NAME, ZOO_VERSION,
     "plugin zoo", 0, similarity, spread, decay, &engram_reference::scratch_bytes,
     &engram_reference::similarity_bf16, &engram_reference::similarity_int8,
     &engram_reference::spread_push},
    nullptr,
};
#endif

}  // namespace

#if defined(ZOO_NO_ENTRY)
// Exports something, but not the entry point.
extern "C" ENGRAM_PLUGIN_EXPORT int engram_not_the_entry(void) { return kTable.abi_major; }
#elif defined(ZOO_NULL_TABLE)
extern "C" ENGRAM_PLUGIN_EXPORT const engram_kernel_table* ENGRAM_PLUGIN_ENTRY(void) {
    return kTable.abi_major ? nullptr : &kTable;
}
#elif defined(ZOO_NEWER_MINOR)
extern "C" ENGRAM_PLUGIN_EXPORT const engram_kernel_table* ENGRAM_PLUGIN_ENTRY(void) {
    return &kFuture.v1_0;
}
#else
ENGRAM_DEFINE_PLUGIN_ENTRY(kTable)
#endif
