#include "validation/guarded_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#include "validation/fault_reporter.h"

namespace engram::validation {

namespace {

constexpr size_t kCanary = 64;

size_t page_size() {
    static const size_t p = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    return p;
}

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

unsigned char canary_at(size_t i) { return static_cast<unsigned char>(0xA5 ^ (i * 31)); }

}  // namespace

GuardedBuffer::GuardedBuffer(uint64_t bytes, uint64_t offset, bool page_guard) : bytes_(bytes) {
    const size_t page = page_size();
    if (page_guard) {
        map_bytes_ = round_up(kCanary + bytes, page);
        guard_bytes_ = page;
    } else {
        map_bytes_ = round_up(kCanary + offset + bytes + kCanary, page);
    }
    void* m = ::mmap(nullptr, map_bytes_ + guard_bytes_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<unsigned char*>(m);
    data_ = page_guard ? base_ + map_bytes_ - bytes : base_ + kCanary + offset;
    // Canaries only around the usable region: the region itself is the
    // caller's to fill (inputs are copied in, outputs poisoned).
    const size_t lo = static_cast<size_t>(data_ - base_);
    for (size_t i = 0; i < lo; ++i) base_[i] = canary_at(i);
    for (size_t i = lo + bytes; i < map_bytes_; ++i) base_[i] = canary_at(i);
    if (page_guard) {
        ::mprotect(base_ + map_bytes_, guard_bytes_, PROT_NONE);
        guard_slot_ = register_region(base_ + map_bytes_, guard_bytes_, RegionKind::GuardPage);
    }
}

GuardedBuffer::~GuardedBuffer() {
    unregister_region(guard_slot_);
    unregister_region(input_slot_);
    if (base_) ::munmap(base_, map_bytes_ + guard_bytes_);
}

bool GuardedBuffer::intact() const {
    const size_t lo = static_cast<size_t>(data_ - base_), hi = lo + bytes_;
    for (size_t i = 0; i < lo; ++i)
        if (base_[i] != canary_at(i)) return false;
    for (size_t i = hi; i < map_bytes_; ++i)
        if (base_[i] != canary_at(i)) return false;
    return true;
}

void GuardedBuffer::seal() {
    ::mprotect(base_, map_bytes_, PROT_READ);
    if (input_slot_ < 0)
        input_slot_ = register_region(base_, map_bytes_, RegionKind::ReadOnlyInput);
}

}  // namespace engram::validation
