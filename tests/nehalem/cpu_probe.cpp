// Prints what a process sees of the CPU, two ways: the compiler's own
// __builtin_cpu_supports and the host's detect_cpu_features (CPUID + XGETBV).
// nehalem_check.sh runs it under qemu-x86_64 -cpu Nehalem to prove the
// emulated CPU really hides AVX before trusting engramd's behaviour there.
#include <cstdio>

#include "platform/cpu_features.h"

int main() {
    __builtin_cpu_init();
    std::printf("builtin avx=%d avx2=%d fma=%d avx512f=%d\n", __builtin_cpu_supports("avx") ? 1 : 0,
                __builtin_cpu_supports("avx2") ? 1 : 0, __builtin_cpu_supports("fma") ? 1 : 0,
                __builtin_cpu_supports("avx512f") ? 1 : 0);
    std::printf("detected %s\n", engram::cpu_feature_names(engram::detect_cpu_features()).c_str());
    return 0;
}
