// The deep self-test: every kernel of a plugin against the double oracle at
// realistic sizes and shapes, run in the validation child before the host
// maps the plugin (docs/plugin-sdk.md, "Passing validation"):
//   - similarity: n from 1 past every vector width and unroll to 4097,
//     dims 1..1537 with every tail, 2048 x 768 and 600 x 1536, zero, tiny,
//     huge and (anti-)parallel rows, misaligned inputs and outputs, norms
//     given and null;
//   - spreading: a power-law graph with a hub of thousands of in-edges,
//     empty rows, self-loops and duplicate edges, n from 1 to 4097, the
//     normalising path (decay > 1), a threshold, 0 iterations, and an
//     out-of-range source that must be refused;
//   - decay: n from 1 to 4097, a stability array with stability_scalar = 0
//     (exactly what the host passes) and a scalar with a null array;
//   - seeded random cases of every kernel;
//   - reentrancy: the large cases on several threads at once and twice in a
//     row must give identical bits;
//   - leaks: repeated calls must not grow the process's memory.
// Inputs sit in read-only pages and outputs end at a PROT_NONE page when
// page_guard is on (only in the child: a fault there ends the process).
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <string>

namespace engram::validation {

struct DeepOptions {
    uint64_t seed = 1;
    unsigned random_cases = 16;  // per kernel, on top of the fixed plan
    unsigned threads = 2;        // concurrent callers in the reentrancy check
    bool page_guard = true;
    bool leak_check = true;
};

// Throws engram::Error with the first failure's code; the message names
// `label` (the plugin file), the kernel, the shape and the element.
void run_deep_self_test(const engram_kernel_table& t, const std::string& label,
                        const DeepOptions& o);

}  // namespace engram::validation
