// Constants shared by every vector exp (avx2, avx512, neon), so the three
// backends agree bit for bit on the reduction and the polynomial.
//
// exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n*ln2 in [-ln2/2, ln2/2].
// ln2 is split Cody-Waite style: kLn2Hi has 15 significant bits, so n*kLn2Hi
// is exact for |n| < 512 and the reduction loses nothing for |x| < 350.
// exp(r) = 1 + r + r^2 * P(r), P of degree 4 (a Chebyshev fit of
// (exp(r) - 1 - r) / r^2, coefficients rounded to float): its own error is
// 0.16 ulp, so with FMA evaluation the result stays about 1 ulp. One degree
// less than Cephes expf, which buys nothing visible in float.
#pragma once

namespace engram::plugin::expc {

inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693145751953125f;        // 0x3f317200
inline constexpr float kLn2Lo = 1.428606765330187045e-6f;  // ln2 - kLn2Hi
// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer in
// the low mantissa bits, giving both the rounded float and its int32 bits.
inline constexpr float kRoundMagic = 12582912.0f;
inline constexpr int kRoundMagicBits = 0x4b400000;

inline constexpr float kP0 = 1.3926175889e-3f;
inline constexpr float kP1 = 8.3631733432e-3f;
inline constexpr float kP2 = 4.1666556150e-2f;
inline constexpr float kP3 = 1.6666577756e-1f;
inline constexpr float kP4 = 0.5f;

// Standalone exp: below kMinArg every result rounds to +0 (exp(-103.98) is
// half the smallest subnormal); above kMaxArg every result overflows to +inf.
inline constexpr float kMinArg = -105.0f;
inline constexpr float kMaxArg = 89.0f;

// Decay: the exp argument -age/stability is clamped to [kDecayMinArg,
// kDecayMaxArg] only to keep the reduction in range: below, every result is
// below half the smallest subnormal even for strength = FLT_MAX. A positive
// argument needs a negative stability, which the contract excludes; with
// 2^n built from integer bits (avx2, neon) exp(89) is +inf, so such results
// become 0, while vscalefps (avx512) can afford the wider kDecayMaxArgScalef
// and gives strength * exp(x) whenever that is finite, like the oracle.
inline constexpr float kDecayMinArg = -200.0f;
inline constexpr float kDecayMaxArg = 89.0f;
inline constexpr float kDecayMaxArgScalef = 200.0f;

}  // namespace engram::plugin::expc
