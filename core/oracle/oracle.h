// The double-precision oracle: the kernel contract of docs/internal/kernels.md
// written as plainly as possible, in double, as ground truth for the loader's
// self-test and for every differential test. Never used to serve requests.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <vector>

namespace engram::oracle {

// scores[i] for one query against n row-major candidates. Norms are computed
// here in double; the caller-supplied norms of the ABI are an optimisation the
// oracle does not need.
std::vector<double> similarity(const float* query, const float* candidates, uint64_t n,
                               uint64_t dim);

// ABI 1.1: the same cosine against compressed candidates, each decoded
// exactly in double (bf16: the float with those upper 16 bits; int8:
// scales[i] * code). The tolerance is then the kernel's rounding only.
std::vector<double> similarity_bf16(const float* query, const uint16_t* candidates, uint64_t n,
                                    uint64_t dim);
std::vector<double> similarity_int8(const float* query, const int8_t* candidates,
                                    const float* scales, uint64_t n, uint64_t dim);

struct SpreadResult {
    engram_status status = ENGRAM_OK;
    std::vector<double> activation;
    // Smallest |act[src] - threshold| / max(|threshold|, tiny) seen over every
    // source consulted in every iteration: the distance from the discontinuity.
    // A float backend's trajectory may differ by ~1e-6 relative, so a test whose
    // margin is below that cannot demand agreement and must regenerate.
    double threshold_margin = 0.0;
};

SpreadResult spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                    uint64_t n_nodes, const engram_spread_params& params,
                    const float* initial_activation);

// out[i] = strength[i] * exp(-max(age[i], 0) / stability[i]).
std::vector<double> decay(const float* strength, const float* age_seconds, const float* stability,
                          float stability_scalar, uint64_t n);

}  // namespace engram::oracle
