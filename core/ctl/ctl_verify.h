// engramctl verify: everything the host would check before serving a plugin
// (provenance, the deep self-test in a child process, ABI, CPU features, the
// quick self-test, via the real loader), then more: seeded random cases of
// every kernel judged by the same oracle checks, and a timing against reference.
#pragma once

#include <cstdint>
#include <filesystem>

namespace engram::ctl {

struct VerifyOptions {
    std::filesystem::path plugin;
    std::filesystem::path reference;  // empty: skip the timing comparison
    unsigned cases = 300;             // per kernel
    uint64_t seed = 1;
};

// 0: every check passed; 1: refused or a disagreement (each printed).
int verify(const VerifyOptions& options);

}  // namespace engram::ctl
