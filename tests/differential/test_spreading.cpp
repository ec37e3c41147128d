// Spreading: every loaded backend against the double oracle on generated
// graphs, node by node with tolerance::spread_ok. Cases too close to the
// threshold discontinuity are regenerated (spreading_case.h) and counted.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "backend_report.h"
#include "format.h"
#include "oracle/tolerances.h"
#include "property_env.h"
#include "run_summary.h"
#include "spreading_case.h"

using namespace engram;
using namespace engram::difftest;

namespace {

std::string check(const engram_kernel_table& t, const SpreadingCase& c, const std::vector<double>& want) {
    const engram_shape shape{c.n, 0, c.edges()};
    OffsetBuffer<unsigned char> scratch(t.scratch_bytes(ENGRAM_KERNEL_SPREADING, &shape), 0);
    OffsetBuffer<float> act(c.n, c.activation_offset);
    if (c.n) std::memcpy(act.data(), c.seeds.data(), c.n * sizeof(float));
    const engram_status st = t.spread(c.offsets.data(), c.sources.data(), c.weights.data(), c.n, &c.params,
                                      act.data(), scratch.data(), scratch.size());
    if (st != ENGRAM_OK) return "status " + std::to_string(st) + ", want ENGRAM_OK";
    if (!act.guards_intact()) return "wrote past activation[n-1]";
    if (!scratch.guards_intact()) return "wrote past the scratch it asked for";
    double max_abs = 0;
    for (double v : want) max_abs = std::max(max_abs, std::fabs(v));
    uint64_t bad = 0, first = 0;
    for (uint64_t i = 0; i < c.n; ++i)
        if (!tolerance::spread_ok(act[i], want[i], max_abs) && bad++ == 0) first = i;
    if (bad == 0) return "";
    return std::to_string(bad) + " of " + std::to_string(c.n) + " nodes off; first node " +
           std::to_string(first) + " (in-degree " + std::to_string(c.offsets[first + 1] - c.offsets[first]) +
           "): got " + g(act[first]) + ", want " + g(want[first]) + ", max " + g(max_abs);
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
            const std::string problem = check(b->plugin->table(), c, v.want.activation);
            if (problem.empty()) summary.passed(b->name);
            else
                summary.failed(b->name, "backend=" + b->name + " kernel=spreading " + run.replay(i) + ": " +
                                            problem + "\n  case: " + c.describe() +
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
    CHECK(regenerated_cases * 4 <= std::max<uint64_t>(ran, 4));  // a generator drifting into the discontinuity is a bug
}
