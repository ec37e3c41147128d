#include "platform/cpu_features.h"

#include <engram/kernel_abi.h>

#include <cstdlib>

#include "common/error.h"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace engram {

namespace {

struct FeatureName {
    uint64_t bit;
    std::string_view name;
};

constexpr FeatureName kFeatures[] = {
    {ENGRAM_CPU_SSE4_2, "sse4.2"},
    {ENGRAM_CPU_AVX, "avx"},
    {ENGRAM_CPU_AVX2, "avx2"},
    {ENGRAM_CPU_FMA, "fma"},
    {ENGRAM_CPU_AVX512F, "avx512f"},
    {ENGRAM_CPU_AVX512BW, "avx512bw"},
    {ENGRAM_CPU_AVX512VL, "avx512vl"},
    {ENGRAM_CPU_AVX512DQ, "avx512dq"},
    {ENGRAM_CPU_AVX512_BF16, "avx512_bf16"},
    {ENGRAM_CPU_AVX512_VNNI, "avx512_vnni"},
    {ENGRAM_CPU_NEON, "neon"},
    {ENGRAM_CPU_ASIMDDP, "asimddp"},
};

// Group names accepted in ENGRAM_DISABLE_CPU_FEATURES, so an operator can say
// "avx512" in an emergency without listing its four parts.
constexpr FeatureName kAliases[] = {
    {ENGRAM_CPU_AVX512F | ENGRAM_CPU_AVX512BW | ENGRAM_CPU_AVX512VL | ENGRAM_CPU_AVX512DQ |
         ENGRAM_CPU_AVX512_BF16 | ENGRAM_CPU_AVX512_VNNI,
     "avx512"},
    {ENGRAM_CPU_NEON, "asimd"},
};

#if defined(__x86_64__)
uint64_t read_xcr0() {
    uint32_t eax = 0, edx = 0;
    // xgetbv with ecx=0; only valid when CPUID says OSXSAVE.
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

uint64_t detect_x86() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    uint64_t f = 0;
    if (ecx & bit_SSE4_2) f |= ENGRAM_CPU_SSE4_2;
    const bool osxsave = (ecx & bit_OSXSAVE) != 0;
    const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    // XCR0 bit 1 = SSE state, bit 2 = AVX (YMM upper halves): the OS must save
    // both before any VEX-encoded instruction is safe.
    const bool os_ymm = (xcr0 & 0x6) == 0x6;
    // Bits 5..7 = opmask, ZMM0-15 upper halves, ZMM16-31.
    const bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    const bool cpu_avx = (ecx & bit_AVX) != 0;
    const bool cpu_fma = (ecx & bit_FMA) != 0;
    if (cpu_avx && os_ymm) f |= ENGRAM_CPU_AVX;
    if (cpu_fma && os_ymm) f |= ENGRAM_CPU_FMA;
    unsigned max_leaf = __get_cpuid_max(0, nullptr);
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        if ((ebx & bit_AVX2) && os_ymm) f |= ENGRAM_CPU_AVX2;
        if (os_zmm) {
            if (ebx & bit_AVX512F) f |= ENGRAM_CPU_AVX512F;
            if (ebx & bit_AVX512BW) f |= ENGRAM_CPU_AVX512BW;
            if (ebx & bit_AVX512VL) f |= ENGRAM_CPU_AVX512VL;
            if (ebx & bit_AVX512DQ) f |= ENGRAM_CPU_AVX512DQ;
            if (ecx & (1u << 11)) f |= ENGRAM_CPU_AVX512_VNNI;  // CPUID.(7,0):ECX.AVX512_VNNI
            const unsigned subleaves = eax;                     // CPUID.(7,0):EAX = max subleaf
            if (subleaves >= 1) {
                unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
                __cpuid_count(7, 1, a1, b1, c1, d1);
                if (a1 & (1u << 5)) f |= ENGRAM_CPU_AVX512_BF16;  // CPUID.(7,1):EAX.AVX512_BF16
            }
        }
    }
    return f;
}
#endif

}  // namespace

uint64_t detect_cpu_features() {
#if defined(__x86_64__)
    return detect_x86();
#elif defined(__aarch64__)
    // The kernel reports each extension only where the CPU has it and the
    // kernel supports it, so no separate OS check is needed (unlike XCR0).
    const unsigned long hwcap = getauxval(AT_HWCAP);
    uint64_t f = 0;
    if (hwcap & HWCAP_ASIMD) f |= ENGRAM_CPU_NEON;
    if ((hwcap & HWCAP_ASIMD) && (hwcap & HWCAP_ASIMDDP)) f |= ENGRAM_CPU_ASIMDDP;
    return f;
#else
    return 0;
#endif
}

std::string_view cpu_feature_name(uint64_t bit) {
    for (const auto& f : kFeatures)
        if (f.bit == bit) return f.name;
    return "";
}

std::string cpu_feature_names(uint64_t mask) {
    std::string out;
    uint64_t known = 0;
    for (const auto& f : kFeatures) {
        known |= f.bit;
        if (!(mask & f.bit)) continue;
        if (!out.empty()) out += ",";
        out += f.name;
    }
    // Bits this host does not know (a plugin built for a newer ABI minor)
    // are named by number, so a refusal never reads "needs none".
    for (int b = 0; b < 64; ++b) {
        if (!(mask & ~known & (uint64_t(1) << b))) continue;
        if (!out.empty()) out += ",";
        out += "bit" + std::to_string(b);
    }
    return out.empty() ? "none" : out;
}

uint64_t parse_cpu_feature_list(std::string_view list, std::string_view source_name) {
    uint64_t mask = 0;
    size_t pos = 0;
    while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos) comma = list.size();
        std::string_view item = list.substr(pos, comma - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) {
            uint64_t bit = 0;
            for (const auto& f : kFeatures)
                if (f.name == item) bit = f.bit;
            for (const auto& f : kAliases)
                if (f.name == item) bit = f.bit;
            if (bit == 0) {
                std::string known;
                for (const auto& f : kFeatures)
                    known += (known.empty() ? "" : ",") + std::string(f.name);
                for (const auto& f : kAliases) known += "," + std::string(f.name);
                throw Error(ErrorCode::EnvInvalid,
                            std::string(source_name) + ": unknown CPU feature '" +
                                std::string(item) + "' (known: " + known + ")");
            }
            mask |= bit;
        }
        pos = comma + 1;
    }
    return mask;
}

uint64_t usable_cpu_features() {
    uint64_t detected = detect_cpu_features();
    const char* env = std::getenv("ENGRAM_DISABLE_CPU_FEATURES");
    if (env == nullptr) return detected;
    return detected & ~parse_cpu_feature_list(env, "ENGRAM_DISABLE_CPU_FEATURES");
}

}  // namespace engram
