// first_nonfinite (core/engine/finite_check.h): the engine's check that a
// kernel's output holds no NaN or infinity, at every index and every tail.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/finite_check.h"

using engram::all_finite;
using engram::first_nonfinite;

namespace {

float from_bits(uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
}

// Every kind of non-finite float: quiet and signalling NaN of either sign and
// with odd payloads, and both infinities.
std::vector<float> nonfinite_values() {
    return {std::numeric_limits<float>::quiet_NaN(),
            -std::numeric_limits<float>::quiet_NaN(),
            std::numeric_limits<float>::signaling_NaN(),
            from_bits(0x7f800001u),  // smallest-payload signalling NaN
            from_bits(0xffffffffu),  // negative NaN, all payload bits
            std::numeric_limits<float>::infinity(),
            -std::numeric_limits<float>::infinity()};
}

// Finite values that sit right next to the non-finite encodings or look odd.
std::vector<float> finite_edge_values() {
    return {0.0f,
            -0.0f,
            std::numeric_limits<float>::denorm_min(),
            -std::numeric_limits<float>::denorm_min(),
            from_bits(0x007fffffu),  // largest subnormal
            FLT_MIN,
            FLT_MAX,
            -FLT_MAX,
            from_bits(0x7f7fffffu),  // FLT_MAX again, by its bits: exponent 0xfe
            1.0f,
            -1.0f};
}

}  // namespace

TEST_CASE("first_nonfinite: all-finite arrays of every length 0..70 give n") {
    const auto edges = finite_edge_values();
    for (uint64_t n = 0; n <= 70; ++n) {
        std::vector<float> v(n);
        for (uint64_t i = 0; i < n; ++i) v[i] = edges[i % edges.size()];
        INFO("n = " << n);
        CHECK(first_nonfinite(v.data(), n) == n);
        CHECK(all_finite(v.data(), n));
    }
    CHECK(first_nonfinite(nullptr, 0) == 0);
}

TEST_CASE("first_nonfinite: one NaN or Inf at any index of any length 1..70 is found there") {
    for (const float bad : nonfinite_values()) {
        for (uint64_t n = 1; n <= 70; ++n) {
            for (uint64_t at = 0; at < n; ++at) {
                std::vector<float> v(n, -0.0f);
                v[at] = bad;
                if (first_nonfinite(v.data(), n) != at) {
                    FAIL_CHECK("bad value " << bad << " at " << at << " of " << n << " reported at "
                                            << first_nonfinite(v.data(), n));
                }
            }
        }
    }
    SUCCEED();
}

TEST_CASE("first_nonfinite: the first of several is reported; first, middle and last index") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> v(10000, 0.25f);
    CHECK(first_nonfinite(v.data(), v.size()) == v.size());
    v[9999] = nan;
    CHECK(first_nonfinite(v.data(), v.size()) ==
          9999);  // last (in the tail after the last full block)
    v[5000] = -inf;
    CHECK(first_nonfinite(v.data(), v.size()) == 5000);  // middle
    v[1024] = inf;
    CHECK(first_nonfinite(v.data(), v.size()) == 1024);  // first of the second block
    v[1023] = nan;
    CHECK(first_nonfinite(v.data(), v.size()) == 1023);  // last of the first block
    v[0] = nan;
    CHECK(first_nonfinite(v.data(), v.size()) == 0);  // first
    CHECK_FALSE(all_finite(v.data(), v.size()));
    // Only the prefix is looked at.
    CHECK(first_nonfinite(v.data() + 1, 1022) == 1022);
}

TEST_CASE("first_nonfinite: an unaligned start and every offset into a block") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> storage(3000, 1.0f);
    for (uint64_t start = 0; start < 4; ++start) {
        for (uint64_t at : {0u, 63u, 64u, 65u, 1000u, 1023u, 1024u, 2047u, 2048u, 2990u}) {
            std::vector<float> v = storage;
            v[start + at] = nan;
            INFO("start " << start << " at " << at);
            CHECK(first_nonfinite(v.data() + start, 2995) == at);
        }
    }
}
