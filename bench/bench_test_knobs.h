// Test-only knob of engram_bench, for the regression framework's own tests
// (tools/bench-regression.sh, tests/perf/). Never used by the host or a plugin.
//
//   ENGRAM_BENCH_TEST_SLOWDOWN="avx2:1.10"          (or "avx2:1.10,avx512:1.2")
//
// makes every timed kernel call of the named backend(s) take about `factor`
// times as long: right after the call, still inside the timed loop, the
// harness busy-waits on std::chrono::steady_clock for (factor - 1) x the
// call's duration, capped at twice the fastest call of this repetition so
// far. Capped, because on a loaded machine a call's wall time includes the
// time the thread was descheduled (uncapped, measured here: +70% on average
// at load 8 on 2 CPUs, a 1.10 factor became 1.17 of CPU time); the thread CPU
// clock would be immune to that but costs ~2.3 us per read in this KVM guest,
// against ~56 ns for steady_clock. So the factor holds for calls of
// microseconds and more (spreading 1000x8, 50 us a call) and overshoots on
// the 768x1 pair (~50 ns a call, less than the clock reads).
// Unset or empty: off, and the only cost in the loop is one predictable
// branch on a local. When set,
// main() records it in the JSON context ("engram_test_slowdown"), so a run
// made with it can never be taken for a real measurement (bench_compare.py
// refuses to write a baseline from it).
#pragma once

#include <cstdint>
#include <string>

namespace engram::bench {

// The raw variable ("" when unset), after validation: a malformed value
// ("avx2", "avx2:0.5", "avx2:x") is reported on stderr and exits(2).
const std::string& test_slowdown_spec();

class TestSlowdown {
  public:
    explicit TestSlowdown(const std::string& backend);  // factor 1 (off) unless named
    // Call begin() right before the kernel call and end() right after it.
    uint64_t begin() const noexcept { return extra_ > 0.0 ? now_ns() : 0; }
    void end(uint64_t start) const noexcept {
        if (extra_ > 0.0) spin(start);
    }

  private:
    static uint64_t now_ns() noexcept;
    void spin(uint64_t start) const noexcept;
    double extra_ = 0.0;                // factor - 1
    mutable uint64_t fastest_ = ~0ull;  // ns, fastest call seen by this instance
};

}  // namespace engram::bench
