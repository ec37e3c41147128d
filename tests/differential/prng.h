// The differential tests' random numbers: splitmix64 seeding xoshiro256**,
// and distributions built from integer draws and exact float arithmetic only
// (no <random> distributions, no libm), so one seed gives bit-identical cases
// on x86-64 and aarch64 and with any standard library. The support library is
// compiled with -ffp-contract=off so no FMA fusion can differ either.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/xoshiro256.h"

namespace engram::difftest {

// xoshiro256** 1.0 (Blackman & Vigna).
class Rng : public Xoshiro256Core {
  public:
    using Xoshiro256Core::Xoshiro256Core;

    // Uniform in [lo, hi], both inclusive; rejection keeps it unbiased.
    uint64_t range(uint64_t lo, uint64_t hi) {
        const uint64_t span = hi - lo;
        if (span == UINT64_MAX) return next();
        const uint64_t bound = span + 1;
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t x;
        do x = next();
        while (x >= limit);
        return lo + x % bound;
    }
    int64_t irange(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(range(0, static_cast<uint64_t>(hi - lo)));
    }

    // Uniform in [0, 1), 53 random bits: exact on every platform.
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }

    // Log-uniform integer in [lo, hi] (lo >= 1): a uniform bit length, then a
    // uniform value of that length. Small sizes are as likely per octave as
    // large ones, which keeps most cases cheap and still reaches hi.
    uint64_t log_uniform(uint64_t lo, uint64_t hi) {
        const int blo = bit_length(lo), bhi = bit_length(hi);
        const int b =
            static_cast<int>(range(static_cast<uint64_t>(blo), static_cast<uint64_t>(bhi)));
        const uint64_t from = b == 1 ? 1 : uint64_t{1} << (b - 1);
        const uint64_t to = b == 64 ? UINT64_MAX : (uint64_t{1} << b) - 1;
        return range(from < lo ? lo : from, to > hi ? hi : to);
    }

    // 2^e * (1 + u) with e uniform in [lo_exp, hi_exp]: log-uniform-ish reals
    // spanning many decades, computed exactly with ldexp.
    double pow2_uniform(int lo_exp, int hi_exp) {
        const int e = static_cast<int>(irange(lo_exp, hi_exp));
        return std::ldexp(1.0 + unit(), e);
    }

    // Approximately standard normal (Irwin-Hall of 4 uniforms, rescaled):
    // exact arithmetic, tails to about +-3.5, which is all the tests need.
    double gauss() {
        const double s = unit() + unit() + unit() + unit() - 2.0;
        return s * 1.7320508075688772;  // sqrt(12 / 4)
    }

  private:
    static int bit_length(uint64_t x) {
        int b = 0;
        while (x) {
            ++b;
            x >>= 1;
        }
        return b;
    }
};

}  // namespace engram::difftest
