// Decay: every loaded backend against the double oracle on generated cases,
// element by element with tolerance::decay_ok.
#include <catch2/catch.hpp>

#include "backend_report.h"
#include "decay_case.h"
#include "format.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "property_env.h"
#include "run_summary.h"

using namespace engram;
using namespace engram::difftest;

namespace {

std::string check(const engram_kernel_table& t, const DecayCase& c, const std::vector<double>& want) {
    const engram_shape shape{c.n, 0, 0};
    OffsetBuffer<unsigned char> scratch(t.scratch_bytes(ENGRAM_KERNEL_DECAY, &shape), 0);
    OffsetBuffer<float> out(c.n, c.out_offset);
    const engram_status st = t.decay(c.strength.data(), c.age.data(), c.stability_or_null(), c.stability_scalar,
                                     c.n, out.data(), scratch.data(), scratch.size());
    if (st != ENGRAM_OK) return "status " + std::to_string(st) + ", want ENGRAM_OK";
    if (!out.guards_intact()) return "wrote past out[n-1]";
    uint64_t bad = 0, first = 0;
    for (uint64_t i = 0; i < c.n; ++i)
        if (!tolerance::decay_ok(out[i], want[i], c.strength[i]) && bad++ == 0) first = i;
    if (bad == 0) return "";
    const float st_i = c.per_memory ? c.stability[first] : c.stability_scalar;
    return std::to_string(bad) + " of " + std::to_string(c.n) + " results off; first memory " +
           std::to_string(first) + " (strength " + g(c.strength[first]) + ", age " + g(c.age[first]) +
           ", stability " + g(st_i) + "): got " + g(out[first]) + ", want " + g(want[first]) + " (rel " +
           g(std::fabs(out[first] - want[first]) / std::fabs(want[first])) + ")";
}

}  // namespace

TEST_CASE("decay: every backend agrees with the oracle on generated cases", "[differential][decay]") {
    const auto backends = backends_under_test();
    const PropertyRun run("decay");
    RunSummary summary("decay");
    uint64_t ran = 0;
    for (uint64_t i = 0; i < run.cases(); ++i) {
        if (!run.selected(i)) continue;
        ++ran;
        Rng rng(run.case_seed(i));
        const DecayCase c = make_decay_case(rng);
        const auto want = oracle::decay(c.strength.data(), c.age.data(), c.stability_or_null(),
                                        c.stability_scalar, c.n);
        for (const Backend* b : backends) {
            const std::string problem = check(b->plugin->table(), c, want);
            if (problem.empty()) summary.passed(b->name);
            else
                summary.failed(b->name, "backend=" + b->name + " kernel=decay " + run.replay(i) + ": " +
                                            problem + "\n  case: " + c.describe());
        }
    }
    summary.check_ran(backends, ran);
    summary.print(run.base_seed());
}
