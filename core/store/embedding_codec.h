// The compressed embedding formats of [store] embedding_format (ABI 1.1),
// defined once for the host: the store converts with these at load, the
// oracle and the tests decode with them.
//
//   bf16: the upper 16 bits of the float, rounded to nearest even (a finite
//         value that would round past bf16's largest finite value saturates
//         to it instead of becoming infinite).
//   int8: symmetric per row: scale = max_k |c_k| / 127 (as float),
//         code_k = round(c_k / scale) (half away from zero), in [-127, 127];
//         a zero row has scale 0 and all codes 0. Decoded: scale * code.
#pragma once

#include <cstdint>
#include <cstring>

namespace engram::codec {

inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return static_cast<uint16_t>((bits >> 16) | 0x40u);  // NaN
    const uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
    uint16_t h = static_cast<uint16_t>(rounded >> 16);
    // A finite input never becomes infinite: saturate to the largest finite bf16.
    if ((bits & 0x7f800000u) != 0x7f800000u && (h & 0x7fffu) == 0x7f80u)
        h = static_cast<uint16_t>((h & 0x8000u) | 0x7f7fu);
    return h;
}

inline float bf16_to_float(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// The row's scale and codes; returns the scale.
float int8_quantize_row(const float* row, uint64_t dim, int8_t* codes);

}  // namespace engram::codec
