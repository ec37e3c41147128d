// Target detection, kept apart from any kernel (the Highway split): which
// ENGRAM_CPU_* features this CPU reports AND the operating system has enabled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace engram {

// Features usable right now: CPUID bits confirmed by XGETBV (the OS saves the
// YMM/ZMM state) on x86-64, getauxval(AT_HWCAP) on aarch64.
uint64_t detect_cpu_features();

// Parses "avx2,avx512f" (names as in feature_name; spaces ignored; empty
// string is 0). Throws engram::Error(E_ENV_INVALID) on an unknown name,
// naming it and the known ones.
uint64_t parse_cpu_feature_list(std::string_view list, std::string_view source_name);

// "sse4.2", "avx", ... for one bit; "" for an unknown bit.
std::string_view cpu_feature_name(uint64_t bit);
// "avx,avx2,fma" for a mask, "none" for 0.
std::string cpu_feature_names(uint64_t mask);

// Usable features after ENGRAM_DISABLE_CPU_FEATURES masks some out. Throws
// engram::Error(E_ENV_INVALID) if the variable names an unknown feature.
uint64_t usable_cpu_features();

}  // namespace engram
