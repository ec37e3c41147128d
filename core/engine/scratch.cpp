#include "engine/scratch.h"

#include <cstdlib>
#include <memory>
#include <new>

namespace engram {

namespace {
struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
struct ThreadBuffer {
    std::unique_ptr<void, FreeDeleter> data;
    uint64_t capacity = 0;
};
}  // namespace

ScratchSpan thread_scratch(uint64_t bytes) {
    thread_local ThreadBuffer buf;
    if (bytes > buf.capacity) {
        const uint64_t cap = (bytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, cap);
        if (!p) throw std::bad_alloc();
        buf.data.reset(p);
        buf.capacity = cap;
    }
    return {buf.data.get(), buf.capacity};
}

}  // namespace engram
