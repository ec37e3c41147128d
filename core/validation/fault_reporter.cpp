#include "validation/fault_reporter.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace engram::validation {

namespace {

constexpr int kSlots = 8192;
struct Region {
    std::atomic<uintptr_t> start{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<int> kind{0};
};
Region g_regions[kSlots];
std::atomic<int> g_result_fd{-1};
thread_local char g_call[208];  // per thread: the faulting thread reads its own

// Only async-signal-safe work from here on: write(2) and _exit(2).
void put(int fd, const char* s) {
    size_t len = std::strlen(s);
    while (len > 0) {
        const ssize_t w = ::write(fd, s, len);
        if (w <= 0) return;
        s += w;
        len -= static_cast<size_t>(w);
    }
}

void on_fault(int sig, siginfo_t* info, void*) {
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    const int fd = g_result_fd.load();
    for (int i = 0; i < kSlots && fd >= 0; ++i) {
        const uintptr_t s = g_regions[i].start.load(std::memory_order_relaxed);
        if (s == 0 || addr < s || addr >= g_regions[i].end.load(std::memory_order_relaxed))
            continue;
        if (g_regions[i].kind.load() == static_cast<int>(RegionKind::GuardPage)) {
            put(fd,
                "FAIL E_SELFTEST_OUT_OF_BOUNDS the kernel touched the page right after its output "
                "or scratch buffer (");
        } else {
            put(fd,
                "FAIL E_SELFTEST_CRASHED SIGSEGV: the kernel wrote into a read-only input buffer "
                "(");
        }
        put(fd, g_call);
        put(fd, ")\n");
        ::_exit(3);
    }
    // Not ours: die of the real signal so the parent names it.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

}  // namespace

void install_fault_reporter(int result_fd) {
    g_result_fd.store(result_fd);
    static char stack[1 << 16];
    stack_t ss{};
    ss.ss_sp = stack;
    ss.ss_size = sizeof stack;
    ::sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_sigaction = &on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, nullptr);
    ::sigaction(SIGBUS, &sa, nullptr);
}

int register_region(const void* start, size_t len, RegionKind kind) {
    const auto s = reinterpret_cast<uintptr_t>(start);
    for (int i = 0; i < kSlots; ++i) {
        uintptr_t expected = 0;
        if (g_regions[i].start.load(std::memory_order_relaxed) != 0) continue;
        g_regions[i].end.store(s + len);
        g_regions[i].kind.store(static_cast<int>(kind));
        if (g_regions[i].start.compare_exchange_strong(expected, s)) return i;
    }
    return -1;
}

void unregister_region(int slot) {
    if (slot >= 0 && slot < kSlots) g_regions[slot].start.store(0);
}

void set_current_call(const char* what) {
    std::strncpy(g_call, what, sizeof g_call - 1);
    g_call[sizeof g_call - 1] = '\0';
}

}  // namespace engram::validation
