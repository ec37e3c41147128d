// Scratch memory handed to kernels as pointer + capacity: one growing,
// 64-byte-aligned buffer per host thread, reused across calls so the hot path
// does not allocate once warm. (The host owns this thread_local; plugins
// never have one.)
#pragma once

#include <cstdint>

namespace engram {

struct ScratchSpan {
    void* data;
    uint64_t capacity;
};

// At least `bytes` of this thread's scratch (valid until the next call on
// this thread).
ScratchSpan thread_scratch(uint64_t bytes);

}  // namespace engram
