// Spreading: every loaded backend against the double oracle on generated
// graphs, through the one oracle-check library (validation/kernel_checks.h):
// the call runs with the activations at the case's odd offset in a guarded
// buffer and scratch exactly scratch_bytes() long (canaries: a write past
// either fails), then compare_spread applies tolerance::spread_ok node by
// node. Cases too close to the threshold discontinuity are regenerated
// (spreading_case.h) and counted. A backend that offers spread_push (ABI 1.2)
// passes a case only when that kernel agrees too.
#include <algorithm>
#include <catch2/catch.hpp>

#include "backend_report.h"
#include "common/error.h"
#include "format.h"
#include "oracle/tolerances.h"
#include "property_env.h"
#include "run_summary.h"
#include "spreading_case.h"
#include "validation/kernel_checks.h"

using namespace engram;
using namespace engram::difftest;

namespace {

// "" when the backend's output agrees with the oracle, else the stable code
// and what went wrong (the node, got and want).
std::string check(const engram_kernel_table& t, const SpreadingCase& c,
                  const oracle::SpreadResult& want) {
    const validation::SpreadCall call{c.offsets.data(), c.sources.data(), c.weights.data(), c.n,
                                      c.params,         c.seeds.data()};
    // The generator vetted the threshold (make_spreading_case): a case the
    // library would not compare is a generator bug, not a pass.
    if (!validation::spread_comparable(c.params, want))
        return "case not comparable (threshold within " + g(tolerance::kSpreadMinThresholdMargin) +
               " of an activation) after vetting";
    std::vector<float> got;
    validation::Verdict v = validation::run(
        t, call, validation::BufferOptions{false, c.activation_offset}, &got, want.status);
    if (!v) v = validation::compare_spread(call, got, want);
    if (!v && t.spread_push) {
        // ABI 1.2: spread_push on the same case, given the graph's transpose
        // (common/csr_transpose.h), must agree with the same oracle answer.
        const validation::OutEdges out = validation::OutEdges::of(call);
        const engram_out_edges view = out.view();
        const validation::SpreadPushCall push{call, &view};
        got.clear();
        v = validation::run(t, push, validation::BufferOptions{false, c.activation_offset}, &got,
                            want.status);
        if (!v) {
            v = validation::compare_spread(call, got, want);
            if (v) v->what = "spread_push " + v->what;
        }
    }
    return v ? std::string(code_string(v->code)) + ": " + v->what : "";
}

}  // namespace

TEST_CASE("spreading: every backend agrees with the oracle on generated graphs",
          "[differential][spreading]") {
    const auto backends = backends_under_test();
    const PropertyRun run("spreading");
    RunSummary summary("spreading");
    uint64_t ran = 0, regenerated_cases = 0, redraws = 0, fallbacks = 0;
    for (uint64_t i = 0; i < run.cases(); ++i) {
        if (!run.selected(i)) continue;
        Rng rng(run.case_seed(i));
        const VettedSpreading v = make_spreading_case(rng);
        ++ran;
        const SpreadingCase& c = v.c;
        if (v.want.status != ENGRAM_OK) {
            FAIL_CHECK("generator made an invalid graph (oracle status " << v.want.status << "), "
                                                                         << run.replay(i));
            continue;
        }
        if (v.regenerated) {
            ++regenerated_cases;
            redraws += v.regenerated;
            if (v.regenerated >= kMaxThresholdRedraws) ++fallbacks;
        }
        for (const Backend* b : backends) {
            const std::string problem = check(b->plugin->table(), c, v.want);
            if (problem.empty())
                summary.passed(b->name);
            else
                summary.failed(b->name, "backend=" + b->name + " kernel=spreading " +
                                            run.replay(i) + ": " + problem +
                                            "\n  case: " + c.describe() +
                                            " threshold_margin=" + g(v.want.threshold_margin));
        }
    }
    // The contract asks for this count to be visible: regeneration must never
    // quietly swallow a large share of the cases.
    const std::string extra = " threshold_regenerated_cases=" + std::to_string(regenerated_cases) +
                              " redraws=" + std::to_string(redraws) +
                              " fell_back_to_negative_threshold=" + std::to_string(fallbacks);
    summary.check_ran(backends, ran);
    summary.print(run.base_seed(), extra);
    CHECK(regenerated_cases * 4 <=
          std::max<uint64_t>(ran, 4));  // a generator drifting into the discontinuity is a bug
}
