// Decay: every loaded backend against the double oracle on generated cases,
// through the one oracle-check library (validation/kernel_checks.h): the call
// runs with its output at the case's odd offset in a guarded buffer
// (canaries: a write past the end fails), then compare_decay applies
// tolerance::decay_ok element by element.
#include <catch2/catch.hpp>

#include "backend_report.h"
#include "common/error.h"
#include "decay_case.h"
#include "oracle/oracle.h"
#include "property_env.h"
#include "run_summary.h"
#include "validation/kernel_checks.h"

using namespace engram;
using namespace engram::difftest;

namespace {

// "" when the backend's output agrees with the oracle, else the stable code
// and what went wrong (the memory, got and want).
std::string check(const engram_kernel_table& t, const DecayCase& c,
                  const std::vector<double>& want) {
    const validation::DecayCall call{c.strength.data(), c.age.data(), c.stability_or_null(),
                                     c.stability_scalar, c.n};
    std::vector<float> got;
    validation::Verdict v =
        validation::run(t, call, validation::BufferOptions{false, c.out_offset}, &got);
    if (!v) v = validation::compare_decay(call, got, want);
    return v ? std::string(code_string(v->code)) + ": " + v->what : "";
}

}  // namespace

TEST_CASE("decay: every backend agrees with the oracle on generated cases",
          "[differential][decay]") {
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
            if (problem.empty())
                summary.passed(b->name);
            else
                summary.failed(b->name, "backend=" + b->name + " kernel=decay " + run.replay(i) +
                                            ": " + problem + "\n  case: " + c.describe());
        }
    }
    summary.check_ran(backends, ran);
    summary.print(run.base_seed());
}
