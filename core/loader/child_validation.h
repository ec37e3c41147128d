// Validation in a disposable child process. Before the host maps a plugin
// file it runs the validator (engram-validate) on the private copy: the
// child checks the SHA-256 it was given, maps the copy, negotiates the ABI,
// checks CPU features and runs the deep self-test, then reports one line on
// a pipe. Whatever the plugin does there (crash, hang, exit(), write out of
// bounds, leak) ends only the child; the host reads the verdict:
//   E_SELFTEST_CRASHED (with the signal), E_SELFTEST_TIMEOUT,
//   E_SELFTEST_EXITED, or the code the child reported.
// The child gets no inherited descriptors but stdout/stderr (stdin is
// /dev/null), a wall-clock timeout, RLIMIT_AS and RLIMIT_CPU, no core
// dumps, and dies with the host (PR_SET_PDEATHSIG).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace engram {

struct ChildValidation {
    std::filesystem::path validator;  // empty: find_validator()
    double timeout_seconds = 10.0;
    uint64_t address_space_mib = 4096;
    uint64_t cpu_seconds = 30;
    unsigned random_cases = 16;  // deep self-test: seeded random cases per kernel
    uint64_t seed = 1;
};

// What the child saw in a plugin that passed.
struct ChildReport {
    std::string name, version;
    unsigned abi_major = 0, abi_minor = 0;
    uint64_t required_cpu_features = 0;
    double seconds = 0;  // wall time of the whole child
};

// Throws engram::Error naming `shown_as` (the operator's path) on any
// failure; on success the copy's bytes are exactly `sha256`, and passed.
ChildReport validate_in_child(const std::filesystem::path& copy, const std::string& sha256,
                              uint64_t usable_cpu_features, const std::filesystem::path& shown_as,
                              const ChildValidation& options);

// $ENGRAM_VALIDATOR, else engram-validate beside the running executable,
// else ../libexec/engram/engram-validate relative to it.
std::filesystem::path find_validator();

// engramd is stopping: every running child is killed and its validation
// fails with E_RELOAD_STOPPING, as does any later one. One-way.
void cancel_validations();

}  // namespace engram
