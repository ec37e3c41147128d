#include "kernels.h"

#if ENGRAM_ABI_MINOR >= 2
#include "../common/scratch.h"
#endif

namespace engram_reference {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    // Spreading is synchronous: it needs a second activation vector.
    if (kernel == ENGRAM_KERNEL_SPREADING && shape) return shape->n * sizeof(float);
#if ENGRAM_ABI_MINOR >= 2
    if (kernel == ENGRAM_KERNEL_SPREAD_PUSH && shape)
        return engram::plugin::spread_push_scratch_bytes(shape->n);
#endif
    return 0;
}

}  // namespace engram_reference
