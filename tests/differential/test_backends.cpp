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

// Run only by ctest differential_backends_no_dotprod (AArch64 builds), under
// qemu-aarch64 -cpu cortex-a72: an ARMv8.0 CPU without the dot-product
// extension; its validation children run on the same emulated CPU (the
// ctest's ENGRAM_VALIDATOR wrapper). neon_dotprod must be refused for asimddp
// alone (E_CPU_FEATURE, before its self-test), while neon, self-tested on
// the A72, keeps loading: no dot-product instruction outside neon_dotprod.
TEST_CASE("without asimddp, neon_dotprod is skipped and neon loads", "[.no_dotprod]") {
    const uint64_t cpu = detect_cpu_features();
    REQUIRE((cpu & ENGRAM_CPU_NEON) != 0);
    REQUIRE((cpu & ENGRAM_CPU_ASIMDDP) == 0);  // else the emulated CPU is not the one meant
    const auto& all = discover_backends();
    const auto find = [&](const std::string& name) -> const Backend* {
        for (const auto& b : all)
            if (b.name == name) return &b;
        return nullptr;
    };
    const Backend* dotprod = find("neon_dotprod");
    const Backend* neon = find("neon");
    REQUIRE(dotprod != nullptr);
    REQUIRE(neon != nullptr);
    CHECK(dotprod->state == Backend::State::Skipped);
    CHECK_THAT(dotprod->reason, Catch::Contains("asimddp"));
    CHECK(neon->state == Backend::State::Loaded);
}
