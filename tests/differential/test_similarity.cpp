// Similarity: every loaded backend against the double oracle on generated
// cases, element by element with tolerance::similarity_ok.
#include <catch2/catch.hpp>

#include "backend_report.h"
#include "format.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "property_env.h"
#include "run_summary.h"
#include "similarity_case.h"

using namespace engram;
using namespace engram::difftest;

namespace {

// "" when the backend's output agrees with the oracle, else what went wrong.
std::string check(const engram_kernel_table& t, const SimilarityCase& c, const std::vector<double>& want) {
    const engram_shape shape{c.n, c.dim, 0};
    OffsetBuffer<unsigned char> scratch(t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape), 0);
    OffsetBuffer<float> scores(c.n, c.scores_offset);
    const engram_status st = t.similarity(c.query.data(), c.candidates.data(), c.norms_or_null(), c.n,
                                          c.dim, scores.data(), scratch.data(), scratch.size());
    if (st != ENGRAM_OK) return "status " + std::to_string(st) + ", want ENGRAM_OK";
    if (!scores.guards_intact()) return "wrote past scores[n-1]";
    uint64_t bad = 0, first = 0;
    for (uint64_t i = 0; i < c.n; ++i)
        if (!tolerance::similarity_ok(scores[i], want[i]) && bad++ == 0) first = i;
    if (bad == 0) return "";
    return std::to_string(bad) + " of " + std::to_string(c.n) + " scores off; first row " +
           std::to_string(first) + ": got " + g(scores[first]) + ", want " + g(want[first]) +
           " (|diff| " + g(std::fabs(scores[first] - want[first])) + " > " + g(tolerance::kSimilarityAbs) +
           ")";
}

}  // namespace

TEST_CASE("similarity: every backend agrees with the oracle on generated cases",
          "[differential][similarity]") {
    const auto backends = backends_under_test();
    const PropertyRun run("similarity");
    RunSummary summary("similarity");
    uint64_t ran = 0;
    for (uint64_t i = 0; i < run.cases(); ++i) {
        if (!run.selected(i)) continue;
        ++ran;
        Rng rng(run.case_seed(i));
        const SimilarityCase c = make_similarity_case(rng);
        const auto want = oracle::similarity(c.query.data(), c.candidates.data(), c.n, c.dim);
        for (const Backend* b : backends) {
            const std::string problem = check(b->plugin->table(), c, want);
            if (problem.empty()) summary.passed(b->name);
            else
                summary.failed(b->name, "backend=" + b->name + " kernel=similarity " + run.replay(i) +
                                            ": " + problem + "\n  case: " + c.describe());
        }
    }
    summary.check_ran(backends, ran);
    summary.print(run.base_seed());
}
