#include "platform/tick_clock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace engram::tick_clock {

namespace {

#if defined(__x86_64__)
bool invariant_tsc() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (static_cast<unsigned>(__get_cpuid_max(0x80000000, nullptr)) < 0x80000007u)
        return false;  // int in clang's cpuid.h
    __cpuid(0x80000007, eax, ebx, ecx, edx);
    return (edx & (1u << 8)) != 0;
}
#endif

Calibration calibrate() {
    Calibration c;
#if defined(__x86_64__)
    if (!invariant_tsc()) return c;
    // Count TSC ticks across a 2 ms steady_clock window. Each clock read is
    // off by at most ~30 ns, so the rate is good to ~3e-5: far finer than the
    // histogram's 1-2.5-5 buckets.
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const uint64_t c0 = __rdtsc();
    auto t1 = t0;
    while (t1 - t0 < std::chrono::milliseconds(2)) t1 = clock::now();
    const uint64_t c1 = __rdtsc();
    const double ns =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    if (c1 <= c0) return c;  // a TSC that does not advance is no clock
    c.tsc = true;
    c.ns_per_tick = ns / static_cast<double>(c1 - c0);
#endif
    return c;
}

}  // namespace

const Calibration& calibration() {
    static const Calibration c = calibrate();
    return c;
}

}  // namespace engram::tick_clock
