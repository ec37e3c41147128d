// Sweeps each SIMD backend's vector exp against double std::exp and asserts
// <= 2 ulp. ulp is counted on float's grid around the exact result: 2^(e-23)
// for a normal result, the fixed subnormal spacing 2^-149 below FLT_MIN, so a
// subnormal result must be within two subnormal steps; a result that rounds
// to +inf in float must be +inf.
//
// Coverage per backend (~0.6 s): every third float in [-104, -1] (the
// whole range where decay's exp is subnormal or tiny, at a third of full
// density), every 64th float in [-1, 0] and every 256th in [0, 89], 2^22
// uniform random samples in [-110, 89], and the special values.
// A backend whose instruction set this CPU lacks is skipped with a warning.
#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "exp_batch.h"

namespace {

using BatchFn = void (*)(const float*, float*, std::size_t);

double ulp_error(float got, double want) {
    if (std::isnan(want)) return std::isnan(got) ? 0.0 : 1e9;
    if (std::isinf(static_cast<float>(want))) return got == static_cast<float>(want) ? 0.0 : 1e9;
    if (!std::isfinite(got)) return 1e9;
    int e = 0;
    std::frexp(want, &e);
    const double ulp = std::max(std::ldexp(1.0, e - 24), std::ldexp(1.0, -149));
    return std::fabs(static_cast<double>(got) - want) / ulp;
}

struct SweepResult {
    double max_ulp = 0.0;
    float worst_x = 0.0f;
    uint64_t count = 0;
};

// Runs fn over x in batches and folds the ulp errors into r.
void check_batch(BatchFn fn, const std::vector<float>& x, SweepResult& r) {
    std::vector<float> y(x.size());
    fn(x.data(), y.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double u = ulp_error(y[i], std::exp(static_cast<double>(x[i])));
        if (u > r.max_ulp) {
            r.max_ulp = u;
            r.worst_x = x[i];
        }
    }
    r.count += x.size();
}

// Every stride-th float from bit pattern `from` to `to` (inclusive).
void sweep_bits(BatchFn fn, uint32_t from, uint32_t to, uint32_t stride, SweepResult& r) {
    std::vector<float> x;
    x.reserve(1u << 20);
    for (uint64_t b = from; b <= to; b += stride) {
        x.push_back(std::bit_cast<float>(static_cast<uint32_t>(b)));
        if (x.size() == (1u << 20)) {
            check_batch(fn, x, r);
            x.clear();
        }
    }
    if (!x.empty()) check_batch(fn, x, r);
}

SweepResult sweep(BatchFn fn) {
    SweepResult r;
    const uint32_t minus_one = std::bit_cast<uint32_t>(-1.0f);
    sweep_bits(fn, minus_one, std::bit_cast<uint32_t>(-104.0f), 3, r);
    sweep_bits(fn, std::bit_cast<uint32_t>(-0.0f), minus_one, 64, r);
    sweep_bits(fn, 0u, std::bit_cast<uint32_t>(89.0f), 256, r);
    std::mt19937 rng(20240611);
    std::uniform_real_distribution<float> u(-110.0f, 89.0f);
    std::vector<float> x(1u << 22);
    for (float& v : x) v = u(rng);
    check_batch(fn, x, r);
    return r;
}

void check_specials(BatchFn fn) {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x = {0.0f,    -0.0f,    -inf,       inf,       std::nanf(""), -1e9f,
                                  -105.0f, -103.97f, -87.33655f, 88.72283f, 88.72284f,     89.0f,
                                  FLT_MIN, -FLT_MIN, 1e-45f,     -1e-45f,   1.0f,          -1.0f};
    std::vector<float> y(x.size());
    fn(x.data(), y.data(), x.size());
    CHECK(y[0] == 1.0f);
    CHECK(y[1] == 1.0f);
    CHECK(y[2] == 0.0f);
    CHECK(y[3] == inf);
    CHECK(std::isnan(y[4]));
    CHECK(y[5] == 0.0f);
    CHECK(y[6] == 0.0f);
    for (std::size_t i = 7; i < x.size(); ++i) {
        INFO("x = " << x[i] << " got " << y[i]);
        CHECK(ulp_error(y[i], std::exp(static_cast<double>(x[i]))) <= 2.0);
    }
}

void run_backend(const char* name, BatchFn fn) {
    check_specials(fn);
    const SweepResult r = sweep(fn);
    std::printf("exp %-7s max error %.3f ulp at x = %.9g over %llu inputs\n", name, r.max_ulp,
                static_cast<double>(r.worst_x), static_cast<unsigned long long>(r.count));
    INFO(name << " worst x = " << r.worst_x);
    CHECK(r.max_ulp <= 2.0);
}

}  // namespace

#if defined(ENGRAM_TEST_X86)
TEST_CASE("avx2 exp is within 2 ulp of the correctly rounded result", "[simd][exp]") {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        WARN("skipped: this CPU has no AVX2/FMA");
        return;
    }
    run_backend("avx2", engram::test::exp_batch_avx2);
}

TEST_CASE("avx512 exp is within 2 ulp of the correctly rounded result", "[simd][exp]") {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq")) {
        WARN("skipped: this CPU has no AVX-512 F/BW/VL/DQ");
        return;
    }
    run_backend("avx512", engram::test::exp_batch_avx512);
}
#endif

#if defined(ENGRAM_TEST_NEON)
TEST_CASE("neon exp is within 2 ulp of the correctly rounded result", "[simd][exp]") {
    run_backend("neon", engram::test::exp_batch_neon);
}
#endif
