// Buffers a kernel under test reads and writes, laid out so that a kernel
// that touches what it was not given is caught:
//   - every byte around the usable region holds a canary pattern, checked
//     after the call (intact());
//   - with page_guard, the usable region ends exactly at a PROT_NONE page, so
//     a write one element past the end faults at once (the validation child
//     turns that fault into E_SELFTEST_OUT_OF_BOUNDS, see fault_reporter.h);
//   - seal() makes an input read-only, so a kernel writing into its const
//     inputs faults instead of corrupting them.
// Memory comes straight from mmap so guard pages and protection are exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace engram::validation {

class GuardedBuffer {
  public:
    // `bytes` usable bytes. Without page_guard the region starts `offset`
    // bytes past a 64-byte boundary (misaligned on purpose when offset is
    // not a multiple of 64); with page_guard it ends on a page boundary, so
    // its start alignment follows from its size.
    GuardedBuffer(uint64_t bytes, uint64_t offset, bool page_guard);
    ~GuardedBuffer();
    GuardedBuffer(const GuardedBuffer&) = delete;
    GuardedBuffer& operator=(const GuardedBuffer&) = delete;

    void* data() { return data_; }
    const void* data() const { return data_; }
    uint64_t size() const { return bytes_; }
    // True while every canary byte around the region is untouched.
    bool intact() const;
    // Makes the whole mapping (canaries included) read-only.
    void seal();

  private:
    unsigned char* base_ = nullptr;  // start of the mapping
    size_t map_bytes_ = 0;           // readable/writable part of the mapping
    size_t guard_bytes_ = 0;         // PROT_NONE tail (0 or one page)
    unsigned char* data_ = nullptr;
    uint64_t bytes_ = 0;
    int guard_slot_ = -1;  // fault_reporter registration of the guard page
    int input_slot_ = -1;  // fault_reporter registration once sealed
};

// A typed view: n elements of T in a GuardedBuffer, copied from `src` when
// given (inputs), else filled with a poison pattern (outputs: a kernel that
// leaves an element unwritten is then caught by the comparison).
template <class T>
class Guarded {
  public:
    Guarded(uint64_t n, uint64_t offset_elems, bool page_guard, const T* src = nullptr)
        : buf_(n * sizeof(T), offset_elems * sizeof(T), page_guard), n_(n) {
        if (src && n)
            std::memcpy(buf_.data(), src, n * sizeof(T));
        else if (n)
            std::memset(buf_.data(), 0x7F, n * sizeof(T));
    }
    T* data() { return n_ ? static_cast<T*>(buf_.data()) : nullptr; }
    const T* data() const { return n_ ? static_cast<const T*>(buf_.data()) : nullptr; }
    uint64_t size() const { return n_; }
    bool intact() const { return buf_.intact(); }
    void seal() { buf_.seal(); }
    GuardedBuffer& raw() { return buf_; }

  private:
    GuardedBuffer buf_;
    uint64_t n_;
};

}  // namespace engram::validation
