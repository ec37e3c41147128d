#include "../common/scratch.h"
#include "kernels_avx512.h"

namespace engram::plugin::avx512 {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    return simd_scratch_bytes(kernel, shape);
}

// One table source for both builds of these files (plugins/avx512/CMakeLists.txt):
// avx512_vnni differs only in its int8 similarity.
#if ENGRAM_AVX512_VNNI
#define ENGRAM_AVX512_NAME "avx512_vnni"
#define ENGRAM_AVX512_DESCRIPTION "avx512f/bw/vl/dq+vnni+avx2+fma, gcc " __VERSION__
#else
#define ENGRAM_AVX512_NAME "avx512"
#define ENGRAM_AVX512_DESCRIPTION "avx512f/bw/vl/dq+avx2+fma, gcc " __VERSION__
#endif

namespace {
const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    ENGRAM_AVX512_NAME,
    "1.0.0",
    ENGRAM_AVX512_DESCRIPTION,
    ENGRAM_PLUGIN_FEATURES,  // from engram_add_plugin(FEATURES ...): the flags it was built with
    &similarity,
    &spread,
    &decay,
    &scratch_bytes,
    &similarity_bf16,  // ABI 1.1
    &similarity_int8,
    &spread_push,  // ABI 1.2
};
}  // namespace

}  // namespace engram::plugin::avx512

ENGRAM_DEFINE_PLUGIN_ENTRY(engram::plugin::avx512::kTable)
