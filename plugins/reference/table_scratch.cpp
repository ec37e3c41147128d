#include "kernels.h"

namespace engram_reference {

uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    // Spreading is synchronous: it needs a second activation vector.
    if (kernel == ENGRAM_KERNEL_SPREADING && shape) return shape->n * sizeof(float);
    return 0;
}

}  // namespace engram_reference
