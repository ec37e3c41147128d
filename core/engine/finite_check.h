// Is every float a kernel wrote finite? The engine checks each output array
// after a kernel returns ENGRAM_OK, so a plugin's NaN or infinity never leaves
// as an answer (E_KERNEL_NONFINITE instead).
//
// Cost matters: this runs on every request, next to a kernel that takes
// ~1 ms for 10,000 x 768. The test is on the bit pattern — a float is NaN or
// +-Inf exactly when its exponent bits are all ones — OR-ed over fixed-size
// chunks with no branch inside, which the compiler turns into SIMD compares
// (SSE2 pcmpeqd/por on baseline x86-64, even at -O2's "very cheap" vectoriser:
// the chunk has a constant trip count). The answer is looked at once per block
// of 1024 floats, so a bad value stops the scan early; only then is the block
// searched for the first bad index. Measured in bench/bench_request.cpp
// (BM_FiniteCheck10k next to BM_SimilarKernelOnly).
#pragma once

#include <cstdint>
#include <cstring>

namespace engram {

namespace finite_detail {

constexpr uint32_t kExponentMask = 0x7f800000u;
constexpr uint64_t kChunk = 64;    // floats OR-ed in one branch-free pass
constexpr uint64_t kBlock = 1024;  // floats between two early-exit tests

inline uint32_t bits_of(const float* p) {
    uint32_t b;
    std::memcpy(&b, p, sizeof b);
    return b;
}

// Non-zero if any of v[0..kChunk) is NaN or +-Inf.
inline uint32_t chunk_nonfinite(const float* v) {
    uint32_t bad = 0;
    // 0 - (bool) is an all-ones lane mask: the compare result OR-ed as is.
    for (uint64_t i = 0; i < kChunk; ++i)
        bad |= 0u - static_cast<uint32_t>((bits_of(v + i) & kExponentMask) == kExponentMask);
    return bad;
}

inline bool is_nonfinite(const float* p) { return (bits_of(p) & kExponentMask) == kExponentMask; }

}  // namespace finite_detail

// Index of the first NaN or +-Inf in v[0..n), or n if all are finite.
// Subnormals, zeros (either sign) and the largest finite floats are finite.
inline uint64_t first_nonfinite(const float* v, uint64_t n) {
    using namespace finite_detail;
    uint64_t base = 0;
    while (base < n) {
        const uint64_t block_end = (n - base > kBlock) ? base + kBlock : n;
        uint32_t bad = 0;
        uint64_t i = base;
        for (; i + kChunk <= block_end; i += kChunk) bad |= chunk_nonfinite(v + i);
        for (; i < block_end; ++i) bad |= static_cast<uint32_t>(is_nonfinite(v + i));
        if (bad != 0) {
            for (uint64_t j = base; j < block_end; ++j)
                if (is_nonfinite(v + j)) return j;
        }
        base = block_end;
    }
    return n;
}

inline bool all_finite(const float* v, uint64_t n) { return first_nonfinite(v, n) == n; }

}  // namespace engram
