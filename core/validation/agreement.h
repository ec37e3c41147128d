// Whether two backends' answers to the same call agree, for shadow traffic
// and canary analysis. Each backend may be off the exact answer by the
// oracle tolerance (oracle/tolerances.h), so two answers agree when they are
// within twice it, element by element; for similarity the top-k ids must
// also agree, up to ties within that tolerance.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace engram::validation {

struct Disagreement {
    uint64_t count = 0;  // elements outside the tolerance
    uint64_t first = 0;  // the first such element (or the first top-k id that differs)
    float control = 0, candidate = 0;
    std::string what;  // one line for operators
};

std::optional<Disagreement> agree_similarity(const float* control, const float* candidate,
                                             uint64_t n, uint32_t k);
std::optional<Disagreement> agree_spread(const float* control, const float* candidate, uint64_t n);
std::optional<Disagreement> agree_decay(const float* control, const float* candidate,
                                        const float* strength, uint64_t n);

}  // namespace engram::validation
