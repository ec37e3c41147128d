// A test buffer that starts `offset` elements past a 64-byte boundary (the
// contract promises kernels work from any float-aligned address, so the tests
// pass odd ones on purpose) and is followed by guard elements holding a
// sentinel, so a kernel that writes past the end is caught.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

namespace engram::difftest {

template <class T>
class OffsetBuffer {
  public:
    static constexpr uint64_t kGuard = 16;

    OffsetBuffer() : OffsetBuffer(0, 0) {}
    OffsetBuffer(uint64_t n, uint64_t offset) : n_(n), offset_(offset) {
        const uint64_t total = offset_ + n_ + kGuard;
        mem_.reset(static_cast<T*>(::operator new[](total * sizeof(T), std::align_val_t{64})));
        std::memset(static_cast<void*>(mem_.get()), 0, total * sizeof(T));
        for (uint64_t i = 0; i < kGuard; ++i) guard_bytes(i);
    }

    T* data() { return mem_.get() + offset_; }
    const T* data() const { return mem_.get() + offset_; }
    T& operator[](uint64_t i) { return data()[i]; }
    const T& operator[](uint64_t i) const { return data()[i]; }
    uint64_t size() const { return n_; }
    uint64_t offset() const { return offset_; }

    // True while nothing has written into the guard elements after the end.
    bool guards_intact() const {
        for (uint64_t i = 0; i < kGuard; ++i) {
            unsigned char want[sizeof(T)];
            sentinel(i, want);
            if (std::memcmp(&mem_.get()[offset_ + n_ + i], want, sizeof(T)) != 0) return false;
        }
        return true;
    }

  private:
    struct Free {
        void operator()(T* p) const { ::operator delete[](p, std::align_val_t{64}); }
    };
    static void sentinel(uint64_t i, unsigned char* out) {
        for (size_t b = 0; b < sizeof(T); ++b)
            out[b] = static_cast<unsigned char>(0xA5 ^ (i * 7 + b));
    }
    void guard_bytes(uint64_t i) {
        unsigned char s[sizeof(T)];
        sentinel(i, s);
        std::memcpy(&mem_.get()[offset_ + n_ + i], s, sizeof(T));
    }

    uint64_t n_, offset_;
    std::unique_ptr<T, Free> mem_;
};

}  // namespace engram::difftest
