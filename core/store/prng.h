// The synthetic store's random numbers: our own generator and distributions,
// because <random>'s distributions are implementation-defined and would make
// the "same seed, same store" promise depend on the standard library.
//
// Integer draws are bit-identical everywhere. Real draws are exact up to the
// libm calls in normal() (std::log, std::sqrt, std::cos, std::sin): sqrt is
// correctly rounded, but log/cos/sin may differ in the last bit of a double
// between libm implementations (e.g. glibc on x86-64 vs aarch64). After the
// rounding to float that the store applies, such a difference is visible only
// in the rare value that sits on a float rounding boundary; that is accepted.
// The library is compiled with -ffp-contract=off so that no compiler fuses
// a*b+c into an FMA on one architecture and not on another.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/xoshiro256.h"

namespace engram::detail {

// xoshiro256** 1.0 (Blackman & Vigna): fast, 256-bit state, good quality.
class Xoshiro256 : public Xoshiro256Core {
  public:
    using Xoshiro256Core::Xoshiro256Core;

    // Uniform in [0, bound), bound >= 1. Multiply-high (Lemire) without the
    // rejection step: the bias is below bound / 2^64, irrelevant here, and
    // skipping rejection keeps the number of draws per value fixed.
    uint64_t below(uint64_t bound) {
        const unsigned __int128 p = static_cast<unsigned __int128>(next()) * bound;
        return static_cast<uint64_t>(p >> 64);
    }

    // Uniform in [0, 1), 53 random bits: exact in double.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // Uniform in (0, 1]: never zero, so it is safe for log() and as a weight.
    double uniform_open0() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

    // Two independent N(0, 1) values by Box-Muller (basic form: a fixed
    // number of draws per pair, unlike the polar method's rejection loop).
    void normal_pair(double& a, double& b) {
        const double u1 = uniform_open0();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double theta = 6.283185307179586476925286766559 * u2;
        a = r * std::cos(theta);
        b = r * std::sin(theta);
    }
};

// Independent streams per part of the store (embeddings, graph, attributes),
// so that changing how one part is drawn does not reshuffle the others.
inline uint64_t stream_seed(uint64_t seed, uint64_t stream) {
    uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ull);
    return splitmix64(sm);
}

}  // namespace engram::detail
