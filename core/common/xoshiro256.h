// The one pseudo-random generator the project uses where "same seed, same
// numbers on every platform" matters (the synthetic store, the differential
// tests): splitmix64 seeding xoshiro256** 1.0 (Blackman & Vigna). Integer
// draws only, so the stream is bit-identical everywhere; each user builds
// its own distributions on next().
#pragma once

#include <cstdint>

namespace engram {

// splitmix64: expands one 64-bit seed into well-mixed state words.
inline uint64_t splitmix64(uint64_t& state) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Xoshiro256Core {
  public:
    explicit Xoshiro256Core(uint64_t seed) {
        uint64_t sm = seed;
        for (auto& w : s_) w = splitmix64(sm);
    }

    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
};

}  // namespace engram
