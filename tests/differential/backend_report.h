// Inside a TEST_CASE: the backends a kernel test runs against. Skipped ones
// (CPU lacks a feature) are reported as SKIPPED; refused ones and expected
// ones that are missing fail the test case, so a broken or unbuilt plugin can
// never make a differential run pass by testing less.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <vector>

#include "backends.h"

namespace engram::difftest {

inline std::vector<const Backend*> backends_under_test() {
    std::vector<const Backend*> out;
    const auto& all = discover_backends();
    for (const auto& name : expected_backends()) {
        const bool found =
            std::any_of(all.begin(), all.end(), [&](const Backend& b) { return b.name == name; });
        if (!found)
            FAIL_CHECK("backend '" << name << "' was built but libengram_" << name
                                   << ".so is missing from " << ENGRAM_TEST_PLUGIN_DIR);
    }
    for (const auto& b : all) {
        switch (b.state) {
            case Backend::State::Loaded:
                out.push_back(&b);
                break;
            case Backend::State::Skipped:
                std::printf("SKIPPED backend %s: %s\n", b.name.c_str(), b.reason.c_str());
                WARN("SKIPPED backend " << b.name << ": " << b.reason);
                break;
            case Backend::State::Failed:
                FAIL_CHECK("backend " << b.name << " refused: " << b.reason);
                break;
        }
    }
    return out;
}

}  // namespace engram::difftest
