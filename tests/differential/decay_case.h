// Generated decay inputs: 0..100,000 memories, ages 0..1e9 s (plus exact 0,
// -0, negative, NaN and +Inf ages), stabilities 1 s..1e9 s as one scalar or
// one per memory, strengths from 0 and denormals to 1e30, at odd addresses.
#pragma once

#include <cstdint>
#include <string>

#include "buffer.h"
#include "prng.h"

namespace engram::difftest {

struct DecayCase {
    uint64_t n = 0;
    OffsetBuffer<float> strength, age, stability;
    bool per_memory = false;
    float stability_scalar = 0.0f;
    uint64_t out_offset = 0;
    std::string style;

    const float* stability_or_null() const { return per_memory ? stability.data() : nullptr; }
    std::string describe() const;
};

DecayCase make_decay_case(Rng& rng);

}  // namespace engram::difftest
