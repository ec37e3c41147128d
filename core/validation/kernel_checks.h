// The one place a kernel's answer is judged against the double oracle. The
// loader's quick self-test, the deep self-test in the validation child,
// engramctl verify (through the child) and the differential tests all call
// these, so "agrees with the oracle" means one thing everywhere.
//
// run_*: calls the kernel once as the host would, with the output and the
//        scratch in guarded buffers (canaries around, optionally a PROT_NONE
//        page right after), scratch exactly the size the plugin asked for.
// compare_*: checks the output is finite and within the tolerances of
//        oracle/tolerances.h (docs/internal/kernels.md).
// check_*: both, against a fresh oracle answer.
// A verdict is empty when everything agreed, else the stable code and what
// went wrong (which kernel, which shape, which element).
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "oracle/oracle.h"

namespace engram::validation {

struct Failure {
    ErrorCode code;
    std::string what;
};
using Verdict = std::optional<Failure>;

struct BufferOptions {
    bool page_guard = false;  // a PROT_NONE page right after each output and scratch buffer
    uint64_t out_offset =
        0;  // output starts this many elements past a 64-byte boundary (no page_guard)
};

// Inputs of one call, exactly as the host passes them.
struct SimilarityCall {
    const float* query;
    const float* candidates;
    const float* norms;  // may be null
    uint64_t n, dim;
};
// ABI 1.1: similarity against compressed candidates. int8 has scales, bf16
// not (scales null).
struct CompressedSimilarityCall {
    const float* query;
    const uint16_t* bf16;  // exactly one of bf16 / int8 is non-null
    const int8_t* int8;
    const float* scales;  // int8 only
    const float* norms;   // may be null
    uint64_t n, dim;
};
struct SpreadCall {
    const uint32_t* offsets;
    const uint32_t* sources;
    const float* weights;
    uint64_t n;
    engram_spread_params params;
    const float* initial;  // n activations on entry
};
// ABI 1.2: the same call through spread_push, with `out` its out-edges
// (normally OutEdges::of(in) below; something else to test refusals).
struct SpreadPushCall {
    SpreadCall in;
    const engram_out_edges* out;
};
// The out-edges of a call's in-CSR (common/csr_transpose.h), owned.
struct OutEdges {
    std::vector<uint32_t> offsets, targets;
    std::vector<float> weights;
    engram_out_edges view() const { return {offsets.data(), targets.data(), weights.data()}; }
    static OutEdges of(const SpreadCall& c);
};
struct DecayCall {
    const float* strength;
    const float* age;
    const float* stability;  // may be null
    float stability_scalar;
    uint64_t n;
};

std::string describe(const SimilarityCall& c);
std::string describe(const CompressedSimilarityCall& c);
std::string describe(const SpreadCall& c);
std::string describe(const SpreadPushCall& c);
std::string describe(const DecayCall& c);

// `expect` is the status the call must return; on ENGRAM_OK the output is
// copied to *out.
Verdict run(const engram_kernel_table& t, const SimilarityCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect = ENGRAM_OK);
// The table must offer the call's kernel (similarity_bf16 / _int8 non-null).
Verdict run(const engram_kernel_table& t, const CompressedSimilarityCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect = ENGRAM_OK);
Verdict run(const engram_kernel_table& t, const SpreadCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect = ENGRAM_OK);
// The table must offer spread_push.
Verdict run(const engram_kernel_table& t, const SpreadPushCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect = ENGRAM_OK);
Verdict run(const engram_kernel_table& t, const DecayCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect = ENGRAM_OK);

Verdict compare_similarity(const SimilarityCall& c, const std::vector<float>& got,
                           const std::vector<double>& want);
// Against the oracle on the exactly decoded rows (oracle::similarity_bf16 /
// _int8), with the float similarity tolerance: kernel rounding only.
Verdict compare_similarity(const CompressedSimilarityCall& c, const std::vector<float>& got,
                           const std::vector<double>& want);
// A spreading case too close to the threshold's discontinuity (see
// oracle::SpreadResult::threshold_margin) cannot demand agreement: callers
// skip it with spread_comparable().
bool spread_comparable(const engram_spread_params& p, const oracle::SpreadResult& want);
Verdict compare_spread(const SpreadCall& c, const std::vector<float>& got,
                       const oracle::SpreadResult& want);
Verdict compare_decay(const DecayCall& c, const std::vector<float>& got,
                      const std::vector<double>& want);

// run + oracle + compare. A spreading case that is not comparable passes.
Verdict check(const engram_kernel_table& t, const SimilarityCall& c, const BufferOptions& o = {});
Verdict check(const engram_kernel_table& t, const CompressedSimilarityCall& c,
              const BufferOptions& o = {});
Verdict check(const engram_kernel_table& t, const SpreadCall& c, const BufferOptions& o = {});
// Against the oracle of the in-CSR: spread_push computes what spread does.
Verdict check(const engram_kernel_table& t, const SpreadPushCall& c, const BufferOptions& o = {});
Verdict check(const engram_kernel_table& t, const DecayCall& c, const BufferOptions& o = {});
// spread, and spread_push on the call's own out-edges when the table offers it.
Verdict check_spreading(const engram_kernel_table& t, const SpreadCall& c,
                        const BufferOptions& o = {});

}  // namespace engram::validation
