// A hand-checkable store and a kernel set on the reference plugin.
#pragma once

#include <cmath>
#include <string>

#include "config/config.h"
#include "engine/engine.h"
#include "kernelset/kernel_set.h"
#include "platform/cpu_features.h"

namespace engram::testing {

inline std::string reference_path() {
    return std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_reference.so";
}
inline std::string zoo_path(const std::string& n) {
    return std::string(ENGRAM_TEST_ZOO_DIR) + "/libengram_zoo_" + n + ".so";
}

// The validation child gets 60 s, not the default 10: under ThreadSanitizer
// with another test beside it, validating the reference plugin took over 10 s
// in CI on 2026-12-05 (E_SELFTEST_TIMEOUT, a flake of the machine, not of the
// plugin). The timeout's own behaviour is tested in tests/loader.
inline constexpr double kTestValidationTimeoutSeconds = 60.0;

inline Config reference_config() {
    Config c;
    c.plugins["reference"] = reference_path();
    c.validation.timeout_seconds = kTestValidationTimeoutSeconds;
    return c;
}

// 4 memories in 2-D: e0=(1,0) e1=(0,1) e2=(-1,0) e3=(1,1).
// Edges (source -> target): 0->1 (0.5), 1->2 (1.0), 3->3 (1.0, self loop).
inline std::shared_ptr<const MemoryStore> tiny_store(double now) {
    auto s = std::make_shared<MemoryStore>();
    s->n = 4;
    s->dim = 2;
    s->embeddings = {1, 0, 0, 1, -1, 0, 1, 1};
    s->norms = {1, 1, 1, static_cast<float>(std::sqrt(2.0))};
    s->offsets = {0, 0, 1, 2, 3};
    s->sources = {0, 1, 3};
    s->weights = {0.5f, 1.0f, 1.0f};
    s->strength = {1.0f, 0.5f, 1.0f, 2.0f};
    s->last_access = {now - 86400.0, now, now + 10.0, now - 43200.0};
    s->stability = {86400.0f, 100.0f, 100.0f, 86400.0f};
    return s;
}

}  // namespace engram::testing
