/*
 * Engram kernel plugin ABI, version 1 (minor 2).
 *
 * This header is the whole contract between the Engram Kernel Host and a kernel
 * backend built as a separate shared object. It is plain C on purpose: only
 * fixed-size integers, floats, pointers and structs of them cross the boundary,
 * so a plugin may be built by another compiler, another team, another day.
 *
 * A plugin exports exactly one symbol, ENGRAM_PLUGIN_ENTRY_SYMBOL, a function
 * returning a pointer to a static, immutable engram_kernel_table.
 *
 * Rules every kernel follows (see docs/internal/kernels.md for the maths and
 * the tolerances):
 *   - never throws, never allocates, never calls back into the host;
 *   - keeps no state between calls and uses no thread_local storage (hidden
 *     per-thread state breaks the host's reentrancy check: same inputs, same bits);
 *   - all buffers are owned by the caller; scratch memory is passed in by the
 *     caller as pointer + capacity, sized by the table's scratch_bytes();
 *   - returns an engram_status; on any status other than ENGRAM_OK the output
 *     buffers' contents are unspecified and the host discards them;
 *   - is reentrant: the host calls it from many threads at once.
 *
 * Versioning (in the manner of Vulkan and OBS tables):
 *   - struct_size is the first field; the host reads only the prefix it knows
 *     and refuses a table smaller than ENGRAM_KERNEL_TABLE_V1_0_SIZE;
 *   - a different abi_major is refused; a minor older or newer than the host's
 *     is accepted (minors only append fields at the end of the table).
 *
 * History:
 *   1.0  similarity, spread, decay, scratch_bytes.
 *   1.1  appends the optional compressed-embedding kernels similarity_bf16 and
 *        similarity_int8 (NULL when a plugin does not offer them; a 1.0 table
 *        reads as both NULL), the kernel ids ENGRAM_KERNEL_SIMILARITY_BF16 /
 *        _INT8 for scratch_bytes, and the CPU feature bits AVX512_BF16,
 *        AVX512_VNNI and ASIMDDP (AArch64 dot product, added later within
 *        1.1: a host that does not know a bit refuses a plugin requiring it
 *        with E_CPU_FEATURE, never runs it). ENGRAM_KERNEL_TABLE_V1_1_SIZE
 *        is the 1.1 prefix.
 *   1.2  appends the optional spread_push: the same spreading, given the
 *        graph both ways (in-edges and the host's transpose, out-edges), so
 *        a kernel can push from the few sources that fire instead of pulling
 *        along every in-edge (NULL when not offered; a 1.0 or 1.1 table reads
 *        as NULL and the host calls spread), and the kernel id
 *        ENGRAM_KERNEL_SPREAD_PUSH for scratch_bytes.
 *        ENGRAM_KERNEL_TABLE_V1_2_SIZE is the 1.2 prefix.
 */
#ifndef ENGRAM_KERNEL_ABI_H
#define ENGRAM_KERNEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ENGRAM_ABI_MAJOR 1
#define ENGRAM_ABI_MINOR 2

/* Name of the one exported entry point, and its type. */
#define ENGRAM_PLUGIN_ENTRY_SYMBOL "engram_kernel_plugin_entry"
#define ENGRAM_PLUGIN_ENTRY engram_kernel_plugin_entry

/* Status returned by every kernel. Values are stable across ABI versions. */
typedef int32_t engram_status;
enum {
    ENGRAM_OK = 0,
    ENGRAM_E_INVALID_ARGUMENT = 1,  /* null pointer, zero dimension, bad parameter */
    ENGRAM_E_OUT_OF_RANGE = 2,      /* e.g. a CSR source index >= n_nodes */
    ENGRAM_E_SCRATCH_TOO_SMALL = 3, /* scratch_capacity < scratch_bytes() */
    ENGRAM_E_INTERNAL = 4           /* anything else; the host treats it as a failed call */
};

/* CPU features a plugin may require. A bitmask over these values goes in
 * engram_kernel_table.required_cpu_features. Bits are stable; new features
 * take new bits. The host checks that each required feature is both reported
 * by the CPU and enabled by the operating system before the first call. */
enum {
    ENGRAM_CPU_SSE4_2 = 1u << 0,
    ENGRAM_CPU_AVX = 1u << 1,
    ENGRAM_CPU_AVX2 = 1u << 2,
    ENGRAM_CPU_FMA = 1u << 3,
    ENGRAM_CPU_AVX512F = 1u << 4,
    ENGRAM_CPU_AVX512BW = 1u << 5,
    ENGRAM_CPU_AVX512VL = 1u << 6,
    ENGRAM_CPU_AVX512DQ = 1u << 7,
    ENGRAM_CPU_AVX512_BF16 = 1u << 8, /* ABI 1.1: VDPBF16PS (avx512_bf16) */
    ENGRAM_CPU_AVX512_VNNI = 1u << 9, /* ABI 1.1: VPDPBUSD (avx512_vnni) */
    ENGRAM_CPU_NEON = 1u << 16,       /* AArch64 Advanced SIMD (asimd) */
    ENGRAM_CPU_ASIMDDP = 1u << 17     /* ABI 1.1: SDOT/UDOT (asimddp, neon_dotprod) */
};

/* Kernel identifiers, used by scratch_bytes(). */
typedef int32_t engram_kernel_id;
enum {
    ENGRAM_KERNEL_SIMILARITY = 0,
    ENGRAM_KERNEL_SPREADING = 1,
    ENGRAM_KERNEL_DECAY = 2,
    ENGRAM_KERNEL_SIMILARITY_BF16 = 3, /* ABI 1.1 */
    ENGRAM_KERNEL_SIMILARITY_INT8 = 4, /* ABI 1.1 */
    ENGRAM_KERNEL_SPREAD_PUSH = 5      /* ABI 1.2 */
};

/* Shape of one call, for scratch sizing. Unused fields are 0. */
typedef struct engram_shape {
    uint64_t n;     /* candidates, nodes or memories */
    uint64_t dim;   /* similarity: embedding dimension */
    uint64_t edges; /* spreading: number of edges (in-edges, = out-edges) */
} engram_shape;

/* Spreading activation parameters. */
typedef struct engram_spread_params {
    uint32_t iterations; /* synchronous iterations, may be 0 */
    float decay;         /* factor on the incoming sum, finite */
    float threshold;     /* sources with activation < threshold do not fire */
} engram_spread_params;

/* scores[i] = dot(q, c_i) / (|q| * |c_i|), clamped to [-1, 1]; 0 when either
 * norm is zero or non-finite, or the result is not finite.
 * candidates: n rows of dim floats, row-major, no alignment required.
 * candidate_norms: NULL, or n precomputed |c_i| (the store keeps them). */
typedef engram_status (*engram_similarity_fn)(const float* query, const float* candidates,
                                              const float* candidate_norms, uint64_t n,
                                              uint64_t dim, float* scores, void* scratch,
                                              uint64_t scratch_capacity);

/* Spreading activation over a CSR of in-edges:
 *   offsets[n_nodes + 1], sources[offsets[n_nodes]], weights[offsets[n_nodes]].
 * For each iteration, synchronously:
 *   next[i] = act[i] + decay * sum(w_j * act[src_j]) over in-edges j of i
 *             whose source activation act[src_j] >= threshold;
 * then, if max(next) > 1, every next[i] /= max(next).
 * activation holds n_nodes floats: the seeds on entry, the result on return.
 * A source index >= n_nodes, or offsets that are not non-decreasing, is
 * ENGRAM_E_OUT_OF_RANGE. */
typedef engram_status (*engram_spread_fn)(const uint32_t* offsets, const uint32_t* sources,
                                          const float* weights, uint64_t n_nodes,
                                          const engram_spread_params* params, float* activation,
                                          void* scratch, uint64_t scratch_capacity);

/* out[i] = strength[i] * exp(-max(age[i], 0) / stability[i]), in [0, strength[i]].
 * stability: NULL to use stability_scalar for every memory; seconds, > 0.
 * stability_scalar is used only when stability is NULL (then it must be
 * > 0). When the host passes a stability array it passes
 * stability_scalar = 0, which a plugin must accept: it must not reject or
 * otherwise look at the scalar when the array is given. */
typedef engram_status (*engram_decay_fn)(const float* strength, const float* age_seconds,
                                         const float* stability, float stability_scalar, uint64_t n,
                                         float* out, void* scratch, uint64_t scratch_capacity);

/* ABI 1.1, compressed stored embeddings. Both compute exactly what
 * engram_similarity_fn computes, against the DECODED candidates:
 *
 *   bf16: c_i[k] = the float whose upper 16 bits are candidates[i*dim + k]
 *         and whose lower 16 bits are 0 (exact in float);
 *   int8: c_i[k] = scales[i] * candidates[i*dim + k]  (the real product;
 *         scales[i] finite and >= 0; codes in [-127, 127] from the host,
 *         a kernel must still accept -128).
 *
 * candidate_norms: NULL, or n values |c_i| of the decoded rows (the host
 * computes them in double at load). scores as for similarity: cosine
 * clamped to [-1, 1], 0 for a zero or non-finite norm or quotient. The
 * tolerance against the double oracle on the decoded rows is that of
 * float similarity (docs/internal/kernels.md): only the kernel's own
 * rounding counts, not the compression's. */
typedef engram_status (*engram_similarity_bf16_fn)(const float* query, const uint16_t* candidates,
                                                   const float* candidate_norms, uint64_t n,
                                                   uint64_t dim, float* scores, void* scratch,
                                                   uint64_t scratch_capacity);
typedef engram_status (*engram_similarity_int8_fn)(const float* query, const int8_t* candidates,
                                                   const float* scales,
                                                   const float* candidate_norms, uint64_t n,
                                                   uint64_t dim, float* scores, void* scratch,
                                                   uint64_t scratch_capacity);

/* ABI 1.2: the out-edges of the graph, grouped by source: the edges leaving
 * node u are j in [offsets[u], offsets[u + 1]), each to targets[j] with
 * weight weights[j]. */
typedef struct engram_out_edges {
    const uint32_t* offsets; /* n_nodes + 1 */
    const uint32_t* targets; /* offsets[n_nodes] */
    const float* weights;    /* offsets[n_nodes] */
} engram_out_edges;

/* ABI 1.2, optional: spreading exactly as engram_spread_fn computes it (same
 * result within the same tolerance), given the graph both ways: the in-edge
 * CSR (offsets, sources, weights) and *out, the same edges grouped by source
 * (the host keeps this transpose beside the store). A kernel may pull along
 * the in-edges or push from the sources that fire along their out-edges,
 * iteration by iteration: pushing reads only the firing sources' edges.
 * Status: that of spread for the same call; then, in spread's order, a NULL
 * out or out->offsets is ENGRAM_E_INVALID_ARGUMENT; out->offsets[0] != 0,
 * decreasing out offsets or out->offsets[n_nodes] != offsets[n_nodes] is
 * ENGRAM_E_OUT_OF_RANGE; NULL out->targets / out->weights with edges is
 * ENGRAM_E_INVALID_ARGUMENT; a target >= n_nodes is ENGRAM_E_OUT_OF_RANGE;
 * then scratch (scratch_bytes(ENGRAM_KERNEL_SPREAD_PUSH, shape)). When *out holds
 * other edges than the in-CSR the result is unspecified, but the kernel
 * still reads and writes only inside the arrays it was given. */
typedef engram_status (*engram_spread_push_fn)(const uint32_t* offsets, const uint32_t* sources,
                                               const float* weights, const engram_out_edges* out,
                                               uint64_t n_nodes, const engram_spread_params* params,
                                               float* activation, void* scratch,
                                               uint64_t scratch_capacity);

/* Bytes of scratch the kernel needs for a call of this shape (0 if none). */
typedef uint64_t (*engram_scratch_bytes_fn)(engram_kernel_id kernel, const engram_shape* shape);

typedef struct engram_kernel_table {
    /* --- ABI 1.0 --- */
    uint32_t struct_size;           /* sizeof(engram_kernel_table) as the plugin was built */
    uint16_t abi_major;             /* ENGRAM_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;             /* ENGRAM_ABI_MINOR the plugin was built against */
    const char* name;               /* short backend name, e.g. "avx2"; [a-z0-9_]+ */
    const char* version;            /* plugin's own version, e.g. "1.2.0" */
    const char* build_id;           /* free-form: compiler, commit, date */
    uint64_t required_cpu_features; /* bitmask of ENGRAM_CPU_* */
    engram_similarity_fn similarity;
    engram_spread_fn spread;
    engram_decay_fn decay;
    engram_scratch_bytes_fn scratch_bytes;
    /* --- ABI 1.1: optional, NULL when not offered --- */
    engram_similarity_bf16_fn similarity_bf16;
    engram_similarity_int8_fn similarity_int8;
    /* --- ABI 1.2: optional, NULL when not offered --- */
    engram_spread_push_fn spread_push;
    /* --- later minors append fields here, never reorder or remove --- */
} engram_kernel_table;

/* The size of the ABI 1.0 prefix: the smallest table a 1.x host accepts. */
#ifdef __cplusplus
#define ENGRAM_KERNEL_TABLE_V1_0_SIZE                                    \
    static_cast<uint32_t>(offsetof(engram_kernel_table, scratch_bytes) + \
                          sizeof(engram_scratch_bytes_fn))
#else
#define ENGRAM_KERNEL_TABLE_V1_0_SIZE \
    ((uint32_t)(offsetof(engram_kernel_table, scratch_bytes) + sizeof(engram_scratch_bytes_fn)))
#endif

/* The size of the ABI 1.1 prefix (1.0 plus similarity_bf16, similarity_int8). */
#ifdef __cplusplus
#define ENGRAM_KERNEL_TABLE_V1_1_SIZE                                      \
    static_cast<uint32_t>(offsetof(engram_kernel_table, similarity_int8) + \
                          sizeof(engram_similarity_int8_fn))
#else
#define ENGRAM_KERNEL_TABLE_V1_1_SIZE \
    ((uint32_t)(offsetof(engram_kernel_table, similarity_int8) + sizeof(engram_similarity_int8_fn)))
#endif

/* The size of the ABI 1.2 prefix (1.1 plus spread_push). */
#ifdef __cplusplus
#define ENGRAM_KERNEL_TABLE_V1_2_SIZE                                  \
    static_cast<uint32_t>(offsetof(engram_kernel_table, spread_push) + \
                          sizeof(engram_spread_push_fn))
#else
#define ENGRAM_KERNEL_TABLE_V1_2_SIZE \
    ((uint32_t)(offsetof(engram_kernel_table, spread_push) + sizeof(engram_spread_push_fn)))
#endif

typedef const engram_kernel_table* (*engram_plugin_entry_fn)(void);

/* Plugins define their entry point with this macro so that the symbol is
 * exported with C linkage and default visibility even under
 * -fvisibility=hidden. */
#if defined(__GNUC__)
#define ENGRAM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define ENGRAM_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
#define ENGRAM_DEFINE_PLUGIN_ENTRY(table_expr)                                             \
    extern "C" ENGRAM_PLUGIN_EXPORT const engram_kernel_table* ENGRAM_PLUGIN_ENTRY(void) { \
        return &(table_expr);                                                              \
    }
#else
#define ENGRAM_DEFINE_PLUGIN_ENTRY(table_expr)                                  \
    ENGRAM_PLUGIN_EXPORT const engram_kernel_table* ENGRAM_PLUGIN_ENTRY(void) { \
        return &(table_expr);                                                   \
    }
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ENGRAM_KERNEL_ABI_H */
