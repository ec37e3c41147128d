#include "../common/scratch.h"
#include "kernels_neon.h"

namespace engram::plugin::neon {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    return simd_scratch_bytes(kernel, shape);
}

// One table source for both builds of these files (plugins/neon/CMakeLists.txt):
// neon_dotprod differs only in its int8 similarity.
#if ENGRAM_NEON_DOTPROD
#define ENGRAM_NEON_NAME "neon_dotprod"
#define ENGRAM_NEON_DESCRIPTION "aarch64 asimd+dotprod, gcc " __VERSION__
#else
#define ENGRAM_NEON_NAME "neon"
#define ENGRAM_NEON_DESCRIPTION "aarch64 asimd, gcc " __VERSION__
#endif

namespace {
const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    ENGRAM_NEON_NAME,
    "1.0.0",
    ENGRAM_NEON_DESCRIPTION,
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

}  // namespace engram::plugin::neon

ENGRAM_DEFINE_PLUGIN_ENTRY(engram::plugin::neon::kTable)
