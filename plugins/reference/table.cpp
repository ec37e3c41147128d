#include "kernels.h"

namespace engram_reference {

namespace {
const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    "reference",
    "1.0.0",
    "reference scalar, gcc " __VERSION__,
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

}  // namespace engram_reference

ENGRAM_DEFINE_PLUGIN_ENTRY(engram_reference::kTable)
