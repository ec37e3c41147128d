#include "app/exit_guard.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace engram::exit_guard {

namespace {

std::atomic<bool> g_requested{false};

void on_exit() {
    if (g_requested.load(std::memory_order_acquire)) return;
    // write(2), not stdio: other threads may hold stdio locks, and nothing
    // here may allocate or run anything else of the process.
    static constexpr char kMessage[] =
        "engramd: exit() called by loaded code, not by engramd: exiting with status 70 "
        "(EX_SOFTWARE)\n";
    const ssize_t w = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)w;
    ::_exit(kUnrequestedExitStatus);
}

}  // namespace

void install() {
    if (std::atexit(on_exit) != 0) {
        // Only on allocation failure inside libc; engramd still works, it just
        // cannot tell its own exits from a plugin's.
        static constexpr char kWarning[] = "engramd: warning: could not register the exit guard\n";
        const ssize_t w = ::write(STDERR_FILENO, kWarning, sizeof kWarning - 1);
        (void)w;
    }
}

void mark_requested() { g_requested.store(true, std::memory_order_release); }

bool requested() { return g_requested.load(std::memory_order_acquire); }

}  // namespace engram::exit_guard
