// ABI 1.1 compressed similarity: every loaded backend's similarity_bf16 and
// similarity_int8 against the double oracle on the exactly decoded rows
// (oracle::similarity_bf16 / _int8), on the same generated cases as float
// similarity (every SIMD tail, special values, odd addresses). The cases'
// float candidates are encoded as the store encodes them (bf16 round to
// nearest even; int8 symmetric per row from the finite values, a
// non-finite value coded as +-127), norms of the decoded rows in double
// when the case gives norms. The tolerance is kSimilarityAbs: kernel
// rounding only. Every shipped backend must offer both kernels.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <tuple>
#include <vector>

#include "backend_report.h"
#include "common/error.h"
#include "oracle/oracle.h"
#include "property_env.h"
#include "run_summary.h"
#include "similarity_case.h"
#include "store/embedding_codec.h"
#include "validation/kernel_checks.h"

using namespace engram;
using namespace engram::difftest;

namespace {

struct Encoded {
    OffsetBuffer<uint16_t> bf16;
    OffsetBuffer<int8_t> int8;
    OffsetBuffer<float> scales, norms_bf16, norms_int8;
};

Encoded encode(const SimilarityCase& c) {
    const uint64_t total = c.n * c.dim;
    Encoded e{OffsetBuffer<uint16_t>(total, c.candidates.offset()),
              OffsetBuffer<int8_t>(total, (c.candidates.offset() + 1) % 8),
              OffsetBuffer<float>(c.n, 1), OffsetBuffer<float>(c.n, 0),
              OffsetBuffer<float>(c.n, 3)};
    // Encodes `row` into row i; returns the decoded rows' norms (bf16, int8).
    const auto encode_row = [&](uint64_t i, const float* row) {
        double bb = 0, ii = 0;
        float mx = 0;
        for (uint64_t k = 0; k < c.dim; ++k) {
            const uint16_t h = codec::float_to_bf16(row[k]);
            e.bf16[i * c.dim + k] = h;
            const double v = codec::bf16_to_float(h);
            bb += v * v;
            if (std::isfinite(row[k])) mx = std::max(mx, std::fabs(row[k]));
        }
        const float scale = static_cast<float>(double(mx) / 127.0);
        e.scales[i] = scale;
        for (uint64_t k = 0; k < c.dim; ++k) {
            const float v = row[k];
            int8_t code = 0;
            if (!std::isfinite(v))
                code = std::signbit(v) ? -127 : 127;
            else if (scale > 0)
                code =
                    static_cast<int8_t>(std::clamp(std::round(double(v) / scale), -127.0, 127.0));
            e.int8[i * c.dim + k] = code;
            ii += double(code) * code;
        }
        return std::pair{std::sqrt(bb), std::sqrt(ii) * double(scale)};
    };
    const auto subnormal = [](double norm) { return norm > 0 && norm < FLT_MIN; };
    std::vector<float> scaled(c.dim);
    for (uint64_t i = 0; i < c.n; ++i) {
        const float* row = c.candidates.data() + i * c.dim;
        auto [nb, ni] = encode_row(i, row);
        if (c.with_norms && (subnormal(nb) || subnormal(ni))) {
            // As the float cases do (similarity_case.cpp): a subnormal float
            // norm keeps only a few significant bits, and the contract's
            // promise starts at normal norms. A row with a non-finite value
            // (coded +-127) and tiny finite ones decodes to such a norm even
            // when the float row's own norm was not. 2^64 times the row is
            // exact and keeps its direction.
            for (uint64_t k = 0; k < c.dim; ++k) scaled[k] = std::ldexp(row[k], 64);
            std::tie(nb, ni) = encode_row(i, scaled.data());
        }
        e.norms_bf16[i] = static_cast<float>(nb);
        e.norms_int8[i] = static_cast<float>(ni);
    }
    return e;
}

std::string check(const engram_kernel_table& t, const validation::CompressedSimilarityCall& call,
                  uint64_t scores_offset, const std::vector<double>& want) {
    std::vector<float> got;
    validation::Verdict v =
        validation::run(t, call, validation::BufferOptions{false, scores_offset}, &got);
    if (!v) v = validation::compare_similarity(call, got, want);
    return v ? std::string(code_string(v->code)) + ": " + v->what : "";
}

}  // namespace

TEST_CASE("compressed similarity: every backend agrees with the oracle on the decoded rows",
          "[differential][compressed]") {
    const auto backends = backends_under_test();
    for (const Backend* b : backends) {
        INFO(b->name);
        CHECK(b->plugin->table().similarity_bf16 != nullptr);
        CHECK(b->plugin->table().similarity_int8 != nullptr);
    }
    const PropertyRun run("similarity");  // the same cases as float similarity
    RunSummary summary("compressed similarity");
    uint64_t ran = 0;
    for (uint64_t i = 0; i < run.cases(); ++i) {
        if (!run.selected(i)) continue;
        ++ran;
        Rng rng(run.case_seed(i));
        const SimilarityCase c = make_similarity_case(rng);
        const Encoded e = encode(c);
        const auto want_b = oracle::similarity_bf16(c.query.data(), e.bf16.data(), c.n, c.dim);
        const auto want_i =
            oracle::similarity_int8(c.query.data(), e.int8.data(), e.scales.data(), c.n, c.dim);
        const validation::CompressedSimilarityCall cb{c.query.data(),
                                                      e.bf16.data(),
                                                      nullptr,
                                                      nullptr,
                                                      c.with_norms ? e.norms_bf16.data() : nullptr,
                                                      c.n,
                                                      c.dim};
        const validation::CompressedSimilarityCall ci{c.query.data(),
                                                      nullptr,
                                                      e.int8.data(),
                                                      e.scales.data(),
                                                      c.with_norms ? e.norms_int8.data() : nullptr,
                                                      c.n,
                                                      c.dim};
        for (const Backend* b : backends) {
            for (int f = 0; f < 2; ++f) {
                const std::string problem =
                    f == 0 ? check(b->plugin->table(), cb, c.scores_offset, want_b)
                           : check(b->plugin->table(), ci, c.scores_offset, want_i);
                if (problem.empty())
                    summary.passed(b->name);
                else
                    summary.failed(b->name, "backend=" + b->name + " kernel=" +
                                                (f == 0 ? "similarity_bf16 " : "similarity_int8 ") +
                                                run.replay(i) + ": " + problem +
                                                "\n  case: " + c.describe());
            }
        }
    }
    summary.check_ran(backends, 2 * ran);  // bf16 and int8 per case
    summary.print(run.base_seed());
}
