// ABI 1.1 compressed similarity: every loaded backend's similarity_bf16 and
// similarity_int8 against the double oracle on the exactly decoded rows
// (oracle::similarity_bf16 / _int8), on the same generated cases as float
// similarity (every SIMD tail, special values, odd addresses). The cases'
// float candidates are encoded as the store encodes them (bf16 round to
// nearest even; int8 symmetric per row from the finite values, a
// non-finite value coded as +-127), norms of the decoded rows in double
// when the case gives norms. The tolerance is kSimilarityAbs: kernel
// rounding only. Every shipped backend must offer both kernels.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <random>
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

// The int8 shapes that pick a kernel's path rather than its arithmetic: the
// avx512_vnni and neon_dotprod backends split the query into three or four
// int8 limbs (a query with one dominant element needs four), serve dims up to
// 4096 and leave larger ones to the float walk; the others must agree as
// well. Dims around 16, 32 and 64 cross the 16-code SDOT steps, the 64-code
// blocks and the zero-padded tails. Rows
// of extreme codes (all -128 / +127) at the largest limb dim check the int32
// sums, and every shape runs with and without norms.
TEST_CASE("int8 similarity: limb-splitting shapes (dominant element, dims 1-4097, extreme codes)",
          "[differential][compressed]") {
    const auto backends = backends_under_test();
    std::mt19937_64 rng(0x11b5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    uint64_t ran = 0;
    for (uint64_t dim : {1, 3, 15, 16, 17, 33, 63, 64, 65, 80, 127, 768, 1000, 4095, 4096, 4097}) {
        for (int query_kind = 0; query_kind < 3; ++query_kind) {
            const uint64_t n = 7;
            std::vector<float> q(dim);
            for (float& v : q) v = normal(rng);
            if (query_kind == 1) q[dim / 2] = 1e4f;  // dominant: four limbs
            if (query_kind == 2)                     // two magnitudes 1e6 apart
                for (uint64_t k = 0; k < dim; k += 2) q[k] *= 1e-6f;
            std::vector<int8_t> codes(n * dim);
            std::vector<float> scales(n), norms(n);
            for (uint64_t i = 0; i < n; ++i) {
                for (uint64_t k = 0; k < dim; ++k) {
                    int8_t c =
                        static_cast<int8_t>(std::clamp(normal(rng) * 40.0f, -127.0f, 127.0f));
                    if (i == 0) c = -128;
                    if (i == 1) c = 127;
                    if (i == 2) c = (k % 2) ? -128 : 127;
                    if (i == 3 && query_kind == 2 && k % 2 == 0) c = 0;  // sees only the small half
                    codes[i * dim + k] = c;
                }
                scales[i] = i == 4 ? 0.0f : 0.01f * static_cast<float>(i + 1);
                double cc = 0;
                for (uint64_t k = 0; k < dim; ++k)
                    cc += double(codes[i * dim + k]) * codes[i * dim + k];
                norms[i] = static_cast<float>(std::sqrt(cc) * scales[i]);
            }
            const auto want =
                oracle::similarity_int8(q.data(), codes.data(), scales.data(), n, dim);
            for (bool with_norms : {true, false}) {
                const validation::CompressedSimilarityCall call{q.data(),
                                                                nullptr,
                                                                codes.data(),
                                                                scales.data(),
                                                                with_norms ? norms.data() : nullptr,
                                                                n,
                                                                dim};
                for (const Backend* b : backends) {
                    INFO("backend=" << b->name << " dim=" << dim << " query_kind=" << query_kind
                                    << " norms=" << with_norms);
                    CHECK(check(b->plugin->table(), call, 0, want) == "");
                    ++ran;
                }
            }
        }
    }
    CHECK(ran > 0);
}
