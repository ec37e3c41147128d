// One table source for the whole zoo of deliberately broken plugins: each zoo
// plugin is this file compiled with one ZOO_* define, linked with the
// reference kernels, so exactly one thing is wrong with it.
#include <engram/kernel_abi.h>

#include "kernels.h"

namespace {

#if defined(ZOO_WRONG_NUMERICS)
// Off by 10%: only the oracle self-test can tell.
engram_status similarity(const float* q, const float* c, const float* norms, uint64_t n, uint64_t dim,
                         float* scores, void* scratch, uint64_t cap) {
    engram_status st = engram_reference::similarity(q, c, norms, n, dim, scores, scratch, cap);
    for (uint64_t i = 0; i < n; ++i) scores[i] *= 0.9f;
    return st;
}
#else
constexpr engram_similarity_fn similarity = &engram_reference::similarity;
#endif

#if defined(ZOO_ERROR_STATUS)
engram_status decay(const float*, const float*, const float*, float, uint64_t, float*, void*, uint64_t) {
    return ENGRAM_E_INTERNAL;
}
#else
constexpr engram_decay_fn decay = &engram_reference::decay;
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
// not know. The host must accept it and ignore the tail.
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
    &engram_reference::spread,
    decay,
    &engram_reference::scratch_bytes,
};

#if defined(ZOO_NEWER_MINOR)
const FutureTable kFuture = {
    {sizeof(FutureTable), ENGRAM_ABI_MAJOR, ENGRAM_ABI_MINOR + 3, ZOO_NAME, ZOO_VERSION, "plugin zoo",
     0, similarity, &engram_reference::spread, decay, &engram_reference::scratch_bytes},
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
