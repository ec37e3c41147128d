// Page-backed arrays for the memory store, so a finished store can be made
// read-only (seal_store in memory_store.h): the store is handed to plugins
// as const pointers, and a plugin that writes through one anyway must fault
// rather than silently corrupt the data every later request is served from.
//
// PageAllocator maps every allocation on its own anonymous pages (mmap,
// rounded up to whole pages) and unmaps it on deallocation, which works
// whatever the protection is then: a sealed store is destroyed normally.
// Stateless: every instance is interchangeable, so moving a StoreArray (or a
// whole MemoryStore) moves the pages, and a sealed store stays sealed.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <limits>
#include <new>
#include <system_error>
#include <vector>

namespace engram {

namespace store_detail {

inline size_t page_size() {
    static const size_t page = [] {
        const long p = sysconf(_SC_PAGESIZE);
        return p > 0 ? static_cast<size_t>(p) : size_t{4096};
    }();
    return page;
}

// Bytes actually mapped for `bytes` (at least one page, so allocate(0) works).
inline size_t mapped_bytes(size_t bytes) {
    const size_t page = page_size();
    if (bytes == 0) return page;
    return (bytes + page - 1) / page * page;
}

}  // namespace store_detail

template <class T>
struct PageAllocator {
    using value_type = T;

    PageAllocator() noexcept = default;
    template <class U>
    PageAllocator(const PageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit by design

    T* allocate(size_t n) {
        if (n > (std::numeric_limits<size_t>::max() - store_detail::page_size()) / sizeof(T))
            throw std::bad_array_new_length();
        void* p = ::mmap(nullptr, store_detail::mapped_bytes(n * sizeof(T)), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t n) noexcept {
        ::munmap(p, store_detail::mapped_bytes(n * sizeof(T)));
    }

    template <class U>
    bool operator==(const PageAllocator<U>&) const noexcept {
        return true;
    }
};

template <class T>
using StoreArray = std::vector<T, PageAllocator<T>>;

// Makes the pages holding v's elements read-only (its whole capacity, which
// is exactly what the allocator mapped). Throws std::system_error on failure.
template <class T>
void seal_array(const StoreArray<T>& v) {
    if (v.capacity() == 0) return;  // nothing mapped
    void* p = const_cast<T*>(v.data());
    if (::mprotect(p, store_detail::mapped_bytes(v.capacity() * sizeof(T)), PROT_READ) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "mprotect(PROT_READ) of the memory store");
}

}  // namespace engram
