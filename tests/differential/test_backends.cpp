// Discovery: every plugin this build produced is in the plugin directory and
// either loads (ABI, CPU features, self-test) or is skipped for a CPU feature
// this machine lacks. The reference backend runs anywhere, so it must load.
#include <algorithm>
#include <catch2/catch.hpp>

#include "backend_report.h"
#include "platform/cpu_features.h"

using namespace engram;
using namespace engram::difftest;

TEST_CASE("every built backend loads or is skipped for a missing CPU feature",
          "[differential][backends]") {
    const auto loaded = backends_under_test();  // fails on refusals and missing files
    std::printf("cpu features: %s\n", cpu_feature_names(detect_cpu_features()).c_str());
    for (const auto& b : discover_backends())
        std::printf("backend %-10s %s %s\n", b.name.c_str(),
                    b.state == Backend::State::Loaded    ? "LOADED"
                    : b.state == Backend::State::Skipped ? "SKIPPED"
                                                         : "FAILED",
                    b.reason.c_str());
    CHECK(std::any_of(loaded.begin(), loaded.end(),
                      [](const Backend* b) { return b->name == "reference"; }));
}
