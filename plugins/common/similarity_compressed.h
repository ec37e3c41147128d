// ABI 1.1 compressed-embedding similarity (bf16, int8), the part that does
// not depend on the instruction set. Each backend supplies a vector type and
// the loads that widen kLanes stored codes to floats:
//
//   struct Vec {
//       using V = ...;                       // kLanes floats
//       static constexpr uint64_t kLanes;
//       static V zero();
//       static V fma(V a, V b, V acc);       // a * b + acc
//       static float hsum(V v);
//       static V load_q(const float* p);     // kLanes floats
//       static V load_c(const uint16_t* p);  // kLanes bf16 -> float (exact)
//       static V load_c(const int8_t* p);    // kLanes int8 -> float (exact)
//   };
//
// Tails (< kLanes elements) go through a zero-padded copy on the stack, so
// the backends need no masked byte loads. Rows are walked one at a time, one
// sequential stream, with a software prefetch ahead (the batch is
// memory-bound from a few thousand rows on, which is the point of storing
// fewer bytes). Accumulation is in float; for int8 the integer codes are
// exact in float and the row's scale is applied once, in double, with the
// norms. A row whose float sums may have overflowed or lost precision to
// subnormals, or whose score is not finite, is redone in double on the
// exactly decoded row (as in similarity_slow.h). Compiled into each
// backend's own shared object with its flags (hidden visibility).
#pragma once

#include <engram/kernel_abi.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "prefetch_far.h"
#include "similarity_slow.h"

namespace engram::plugin {

inline float bf16_to_float(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
inline double decode(uint16_t h) { return bf16_to_float(h); }
inline double decode(int8_t c) { return c; }

// Software prefetch of the row stream, per format. int8 (the float walk, for
// what the integer limb kernels do not serve): 4096 bytes ahead into L1 (five
// rows of 768); without it 1.1x slower (4.31 vs 3.96 ms at 100,000 x 768 on
// a Zen 4 EPYC, family 25 model 17). bf16: far ahead into the outer caches
// (prefetch_far.h, 1.2x faster there); near L1 prefetches of 1-12 KiB had
// made it 1.3x slower than none. neon shares the walk and so the choice; no
// ARM hardware here to measure it on. docs/benchmarks/compressed.md.
template <class T>
inline constexpr uint64_t kCompressedPrefetchBytes = sizeof(T) == 1 ? 4096 : 0;
template <class T>
inline constexpr bool kCompressedPrefetchFar = sizeof(T) == 2;

// sum q[k]*code[k] (and, with kCC, sum code[k]^2) of one row, in float.
template <class Vec, bool kCC, class T>
[[gnu::always_inline]] inline void compressed_row(const float* q, const T* c, uint64_t dim,
                                                  float& qc, float& cc) {
    using V = typename Vec::V;
    constexpr uint64_t L = Vec::kLanes;
    V a0 = Vec::zero(), a1 = a0, a2 = a0, a3 = a0;
    V b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    constexpr uint64_t kPf = kCompressedPrefetchBytes<T>;
    const uintptr_t pf = reinterpret_cast<uintptr_t>(c) + kPf;
    auto step = [&](const float* qk, const T* ck, V& a, V& b) {
        const V cv = Vec::load_c(ck);
        a = Vec::fma(Vec::load_q(qk), cv, a);
        if constexpr (kCC) b = Vec::fma(cv, cv, b);
    };
    uint64_t k = 0;
    for (; k + 4 * L <= dim; k += 4 * L) {
        if constexpr (kCompressedPrefetchFar<T>) {
            prefetch_far(c, k * sizeof(T));
            if constexpr (4 * L * sizeof(T) > 64) prefetch_far(c, k * sizeof(T) + 64);
        }
        if constexpr (kPf > 0) {
            __builtin_prefetch(reinterpret_cast<const void*>(pf + k * sizeof(T)));
            if constexpr (4 * L * sizeof(T) > 64)
                __builtin_prefetch(reinterpret_cast<const void*>(pf + k * sizeof(T) + 64));
        }
        step(q + k, c + k, a0, b0);
        step(q + k + L, c + k + L, a1, b1);
        step(q + k + 2 * L, c + k + 2 * L, a2, b2);
        step(q + k + 3 * L, c + k + 3 * L, a3, b3);
    }
    for (; k + L <= dim; k += L) step(q + k, c + k, a1, b1);
    if (k < dim) {
        float qt[64] = {};
        T ct[64] = {};
        std::memcpy(qt, q + k, (dim - k) * sizeof(float));
        std::memcpy(ct, c + k, (dim - k) * sizeof(T));
        step(qt, ct, a2, b2);
    }
    qc = Vec::hsum((a0 + a1) + (a2 + a3));
    if constexpr (kCC) cc = Vec::hsum((b0 + b1) + (b2 + b3));
}

// One row in double on the exactly decoded values. scale: 1 for bf16.
template <class T>
float compressed_row_double(const float* q, double qn, const T* c, double scale, const float* norm,
                            uint64_t dim) {
    double dot = 0.0, cc = 0.0;
    for (uint64_t k = 0; k < dim; ++k) {
        const double v = decode(c[k]) * scale;
        dot += static_cast<double>(q[k]) * v;
        cc += v * v;
    }
    const double cn = norm ? static_cast<double>(*norm) : std::sqrt(cc);
    return cosine_from_double(dot, qn, cn);
}

// The ABI 1.1 entry points, less the unused scratch. scales: NULL for bf16.
template <class Vec, class T>
engram_status compressed_similarity(const float* query, const T* candidates, const float* scales,
                                    const float* norms, uint64_t n, uint64_t dim, float* scores) {
    static_assert(Vec::kLanes <= 64, "the tail buffer holds 64 lanes");
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    constexpr bool kInt8 = sizeof(T) == 1;
    if (!query || !candidates || !scores || (kInt8 && !scales)) return ENGRAM_E_INVALID_ARGUMENT;
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += static_cast<double>(query[k]) * query[k];
    const double qn = std::sqrt(qq);
    if (!(qn > 0.0) || !std::isfinite(qn)) {
        for (uint64_t i = 0; i < n; ++i) scores[i] = 0.0f;
        return ENGRAM_OK;
    }
    const bool q_fast = qq >= kFastLo && qq <= kFastHi;
    for (uint64_t i = 0; i < n; ++i) {
        const T* c = candidates + i * dim;
        const double s = kInt8 ? static_cast<double>(scales[i]) : 1.0;
        const float* norm = norms ? norms + i : nullptr;
        if (!q_fast) {
            scores[i] = compressed_row_double(query, qn, c, s, norm, dim);
            continue;
        }
        float qc = 0.0f, cc = 1.0f;
        if (norms)
            compressed_row<Vec, false>(query, c, dim, qc, cc);
        else
            compressed_row<Vec, true>(query, c, dim, qc, cc);
        // Codes of int8 rows are integers (|code| >= 1 when not 0): no
        // subnormal products unless the query itself is tiny (q_fast).
        const double cn = norms ? static_cast<double>(norms[i]) : std::sqrt(double(cc)) * s;
        const double den = qn * cn;
        const double sc = static_cast<double>(qc) * s / den;
        const bool range_ok = kInt8 || (den >= kFastLo && den <= kFastHi &&
                                        (norms || (cc >= kFastLo && cc <= kFastHi)));
        if (range_ok && std::isfinite(sc) && std::fabs(sc) <= 2.0 && cn > 0.0) {
            scores[i] = static_cast<float>(sc > 1.0 ? 1.0 : (sc < -1.0 ? -1.0 : sc));
        } else {
            scores[i] = compressed_row_double(query, qn, c, s, norm, dim);
        }
    }
    return ENGRAM_OK;
}

}  // namespace engram::plugin
