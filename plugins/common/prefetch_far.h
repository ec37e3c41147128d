// A software prefetch far ahead of a row stream, into the outer caches
// (__builtin_prefetch locality 1: prefetcht2), for the compressed-row
// similarity kernels (bf16 walk, int8 limb kernels).
//
// Why far and outer: these kernels read 1-2 bytes per element, so they
// consume lines two to four times as fast as the float kernels, and a near
// prefetch into L1 (or none) left them short of the memory's bandwidth. Side
// by side at 768 x 100,000 on a Zen 4 EPYC (family 25 model 17),
// tools/bench-ab.sh, 7 rounds: avx512_vnni int8 3.74 -> 2.36 ms (a 2 KiB
// prefetcht0 before), avx2 int16-limb int8 3.65 -> 3.43 ms (4 KiB
// prefetcht0 before), avx2 bf16 5.99 -> 5.04 ms (no prefetch before; near
// prefetcht0 distances of 1-12 KiB had all been slower than none). 16 and
// 32 KiB measured alike; 4 KiB on top of a 2 KiB prefetcht0 gained nothing.
// From cache (10,000 rows) bf16 is 1.05x slower with it. The address is
// formed in integer arithmetic: it may lie past the end of the rows (a
// prefetch never faults, but forming such a pointer would be undefined).
// docs/benchmarks/compressed.md, "Far prefetch".
#pragma once

#include <cstdint>

namespace engram::plugin {

inline constexpr uint64_t kFarPrefetchBytes = 16384;

[[gnu::always_inline]] inline void prefetch_far(const void* p, uint64_t offset_bytes) {
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) +
                                                     kFarPrefetchBytes + offset_bytes),
                       0, 1);
}

}  // namespace engram::plugin
