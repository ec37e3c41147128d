#include "../common/scratch.h"
#include "kernels_avx2.h"

namespace engram::plugin::avx2 {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    return simd_scratch_bytes(kernel, shape);
}

namespace {
const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    "avx2",
    "1.0.0",
    "avx2+fma, gcc " __VERSION__,
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

}  // namespace engram::plugin::avx2

ENGRAM_DEFINE_PLUGIN_ENTRY(engram::plugin::avx2::kTable)
