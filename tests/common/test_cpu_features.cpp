#include <engram/kernel_abi.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "common/error.h"
#include "platform/cpu_features.h"

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

using namespace engram;

TEST_CASE("feature lists parse names, aliases and spaces") {
    CHECK(parse_cpu_feature_list("", "T") == 0);
    CHECK(parse_cpu_feature_list("avx2", "T") == ENGRAM_CPU_AVX2);
    CHECK(parse_cpu_feature_list(" avx2 , fma ", "T") == (ENGRAM_CPU_AVX2 | ENGRAM_CPU_FMA));
    CHECK(parse_cpu_feature_list("avx512", "T") ==
          (ENGRAM_CPU_AVX512F | ENGRAM_CPU_AVX512BW | ENGRAM_CPU_AVX512VL | ENGRAM_CPU_AVX512DQ |
           ENGRAM_CPU_AVX512_BF16 | ENGRAM_CPU_AVX512_VNNI));
    CHECK(parse_cpu_feature_list("avx512_bf16,avx512_vnni", "T") ==
          (ENGRAM_CPU_AVX512_BF16 | ENGRAM_CPU_AVX512_VNNI));
    CHECK(parse_cpu_feature_list("sse4.2,asimd", "T") == (ENGRAM_CPU_SSE4_2 | ENGRAM_CPU_NEON));
    CHECK(parse_cpu_feature_list("asimddp", "T") == ENGRAM_CPU_ASIMDDP);  // ABI 1.1 bit
}

TEST_CASE("an unknown feature name is an error, not ignored") {
    try {
        parse_cpu_feature_list("avx2,avx3", "ENGRAM_DISABLE_CPU_FEATURES");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::EnvInvalid);
        CHECK_THAT(e.what(),
                   Catch::Contains("avx3") && Catch::Contains("ENGRAM_DISABLE_CPU_FEATURES"));
    }
}

TEST_CASE("ENGRAM_DISABLE_CPU_FEATURES masks detected features") {
    const uint64_t detected = detect_cpu_features();
    ::setenv("ENGRAM_DISABLE_CPU_FEATURES", "avx2,neon", 1);
    CHECK(usable_cpu_features() == (detected & ~uint64_t(ENGRAM_CPU_AVX2 | ENGRAM_CPU_NEON)));
    ::setenv("ENGRAM_DISABLE_CPU_FEATURES", "bogus", 1);
    CHECK_THROWS_AS(usable_cpu_features(), Error);
    ::unsetenv("ENGRAM_DISABLE_CPU_FEATURES");
    CHECK(usable_cpu_features() == detected);
}

TEST_CASE("detection agrees with the compiler's own CPU probe") {
    const uint64_t f = detect_cpu_features();
#if defined(__x86_64__)
    __builtin_cpu_init();
    CHECK(((f & ENGRAM_CPU_AVX2) != 0) == (__builtin_cpu_supports("avx2") != 0));
    CHECK(((f & ENGRAM_CPU_AVX512F) != 0) == (__builtin_cpu_supports("avx512f") != 0));
    CHECK(((f & ENGRAM_CPU_SSE4_2) != 0) == (__builtin_cpu_supports("sse4.2") != 0));
    // ABI 1.1 bits (GCC 12 knows both names).
    CHECK(((f & ENGRAM_CPU_AVX512_VNNI) != 0) == (__builtin_cpu_supports("avx512vnni") != 0));
    CHECK(((f & ENGRAM_CPU_AVX512_BF16) != 0) == (__builtin_cpu_supports("avx512bf16") != 0));
    CHECK((f & ENGRAM_CPU_NEON) == 0);
#elif defined(__aarch64__)
    CHECK((f & ENGRAM_CPU_NEON) != 0);
    // The bit follows the kernel's HWCAP (under qemu's default CPU it is set;
    // differential_backends_no_dotprod covers an emulated Cortex-A72 without it).
    CHECK(((f & ENGRAM_CPU_ASIMDDP) != 0) == ((getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0));
#endif
    CHECK(cpu_feature_names(0) == "none");
    CHECK(cpu_feature_names(ENGRAM_CPU_AVX | ENGRAM_CPU_FMA) == "avx,fma");
    // A bit this host does not know is named by number, never dropped.
    CHECK(cpu_feature_names(ENGRAM_CPU_NEON | (uint64_t(1) << 40)) == "neon,bit40");
}
