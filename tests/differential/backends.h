// The backends under test: every libengram_*.so in the plugin directory,
// loaded through the real loader (private copy, ABI negotiation, CPU-feature
// check, self-test) with the features this machine really has. A plugin the
// CPU cannot run (E_CPU_FEATURE) is skipped; any other refusal is a failure.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loader/plugin.h"

namespace engram::difftest {

struct Backend {
    enum class State { Loaded, Skipped, Failed };
    std::string name;  // "avx2" for libengram_avx2.so
    std::filesystem::path file;
    State state = State::Failed;
    std::string reason;  // why it was skipped or refused
    std::shared_ptr<const Plugin> plugin;
};

// Discovered and loaded once per process, sorted by name.
const std::vector<Backend>& discover_backends();

// The backends this build produced and therefore must be present
// (ENGRAM_TEST_EXPECTED_BACKENDS, comma-separated).
std::vector<std::string> expected_backends();

}  // namespace engram::difftest
