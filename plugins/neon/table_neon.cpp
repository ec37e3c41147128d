#include "../common/scratch.h"
#include "kernels_neon.h"

namespace engram::plugin::neon {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    return simd_scratch_bytes(kernel, shape);
}

namespace {
const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    "neon",
    "1.0.0",
    "aarch64 asimd, gcc " __VERSION__,
    ENGRAM_PLUGIN_FEATURES,  // from engram_add_plugin(FEATURES ...): the flags it was built with
    &similarity,
    &spread,
    &decay,
    &scratch_bytes,
    &similarity_bf16,  // ABI 1.1
    &similarity_int8,
};
}  // namespace

}  // namespace engram::plugin::neon

ENGRAM_DEFINE_PLUGIN_ENTRY(engram::plugin::neon::kTable)
