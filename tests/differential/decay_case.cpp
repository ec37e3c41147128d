#include "decay_case.h"

#include <algorithm>
#include <limits>

#include "format.h"

namespace engram::difftest {

namespace {

constexpr uint64_t kSmallWork = uint64_t{1} << 14;

// 1 s .. ~1e9 s (2^0 .. 2^30), log-spread.
float draw_stability(Rng& rng) { return static_cast<float>(rng.pow2_uniform(0, 29)); }

float draw_age(Rng& rng, bool specials, float stability) {
    const uint64_t r = rng.range(0, 99);
    if (specials) {
        if (r < 4) return 0.0f;
        if (r < 6) return -0.0f;
        if (r < 11) return static_cast<float>(-rng.pow2_uniform(-10, 29));  // clock skew
        if (r < 14) return std::numeric_limits<float>::quiet_NaN();
        if (r < 16) return std::numeric_limits<float>::infinity();
    }
    // A fifth of ages near a few stabilities: the range where the result is
    // neither ~strength nor ~0 and exp's accuracy shows most.
    if (r >= 80) return static_cast<float>(stability * (40.0 * rng.unit()));
    return static_cast<float>(rng.pow2_uniform(-10, 29));  // ~1 ms .. ~1e9 s
}

// Strength is 0 or >= 2^-20 (~1e-6; memory strengths live in [0, 1]).
// Below that the tolerance's absolute floor strength * FLT_MIN shrinks under
// the spacing of float's subnormals (2^-149): at 2^-24 even the correctly
// rounded result can fail decay_ok, and a SIMD backend that scales by 2^n
// before multiplying by exp's mantissa rounds twice (up to ~1.5 subnormal
// ulps) and fails from ~2^-22 down. docs/internal/testing.md has the numbers.
// Subnormal *results* are still reached, through small strengths and large
// age/stability ratios.
float draw_strength(Rng& rng, int style) {
    switch (style) {
        case 0:
            return static_cast<float>(std::max(rng.unit(), 0x1.0p-20));
        case 1:
            return 1.0f;
        case 2:
            return static_cast<float>(rng.pow2_uniform(-20, 99));  // 1e-6 .. ~1e30
        default:
            return rng.chance(0.1) ? 0.0f : static_cast<float>(rng.pow2_uniform(-20, 0));
    }
}

}  // namespace

DecayCase make_decay_case(Rng& rng) {
    DecayCase c;
    c.n = rng.chance(0.03) ? 0 : rng.log_uniform(1, rng.chance(0.05) ? 100000 : kSmallWork);
    c.per_memory = rng.chance(0.5);
    c.stability_scalar = draw_stability(rng);
    const bool specials = rng.chance(0.5);
    const int strength_style = static_cast<int>(rng.range(0, 3));
    c.strength = OffsetBuffer<float>(c.n, rng.range(0, 3));
    c.age = OffsetBuffer<float>(c.n, rng.range(0, 3));
    c.stability = OffsetBuffer<float>(c.per_memory ? c.n : 0, rng.range(0, 3));
    for (uint64_t i = 0; i < c.n; ++i) {
        const float st = c.per_memory ? draw_stability(rng) : c.stability_scalar;
        if (c.per_memory) c.stability[i] = st;
        c.strength[i] = draw_strength(rng, strength_style);
        c.age[i] = draw_age(rng, specials, st);
    }
    c.out_offset = rng.range(0, 3);
    c.style = std::string("strength_style=") + std::to_string(strength_style) +
              (specials ? " special_ages" : "");
    return c;
}

std::string DecayCase::describe() const {
    return "n=" + std::to_string(n) + " stability=" +
           (per_memory ? std::string("per-memory") : "scalar " + g(stability_scalar)) +
           " offsets(s,a,st,out)=" + std::to_string(strength.offset()) + "," +
           std::to_string(age.offset()) + "," + std::to_string(stability.offset()) + "," +
           std::to_string(out_offset) + " " + style;
}

}  // namespace engram::difftest
