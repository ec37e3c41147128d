// Test-only knob of engram_bench, for the regression framework's own tests
// (tools/bench-regression.sh, tests/perf/). Never used by the host or a plugin.
//
//   ENGRAM_BENCH_TEST_SLOWDOWN="avx2:1.10"          (or "avx2:1.10,avx512:1.2")
//
// makes every timed kernel call of the named backend(s) take `factor` times
// its CPU time: right after the call, still inside the timed loop, the
// harness spins on the thread's CPU clock for (factor - 1) x the CPU time the
// call itself took. Reading that clock costs a few hundred ns per call, so
// the slowdown is a little above the factor on the smallest workloads (it is
// exact within ~1% for calls of 20 us and more). Unset or empty: off, and
// the only cost in the loop is one predictable branch on a local. When set,
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
    uint64_t begin() const noexcept { return extra_ > 0.0 ? thread_cpu_ns() : 0; }
    void end(uint64_t start) const noexcept {
        if (extra_ > 0.0) spin(start);
    }

private:
    static uint64_t thread_cpu_ns() noexcept;
    void spin(uint64_t start) const noexcept;
    double extra_ = 0.0;  // factor - 1
};

}  // namespace engram::bench
