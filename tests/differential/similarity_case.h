// Generated similarity inputs: dimensions 1..4096 (with every SIMD tail
// length), 0..100,000 candidates, special values (zero, denormal, +-1e15,
// NaN, +-Inf), zero / parallel / anti-parallel / all-denormal rows, odd
// addresses, and candidate norms either absent or computed in double from
// the data (as the store does).
#pragma once

#include <cstdint>
#include <string>

#include "buffer.h"
#include "prng.h"

namespace engram::difftest {

struct SimilarityCase {
    uint64_t n = 0, dim = 1;
    OffsetBuffer<float> query, candidates, norms;
    bool with_norms = false;
    uint64_t scores_offset = 0;  // where the kernel's output starts
    std::string style;           // how the values were drawn, for the failure message

    const float* norms_or_null() const { return with_norms ? norms.data() : nullptr; }
    std::string describe() const;
};

SimilarityCase make_similarity_case(Rng& rng);

}  // namespace engram::difftest
