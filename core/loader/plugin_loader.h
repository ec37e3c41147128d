// Loading and validating a backend, in the order a plugin earns trust:
//   provenance of the operator's file (permissions) -> private copy ->
//   SHA-256 of the copy (pinned digest, detached signature) -> ELF check ->
//   validation in a child process (deep self-test, child_validation.h) ->
//   dlopen of exactly the validated copy (Boost.DLL, now + local) -> entry
//   point -> ABI negotiation -> CPU features -> name -> quick self-test.
// Every refusal throws engram::Error with a stable code and a message naming
// the file and the reason. A plugin refused before the host maps it (every
// check up to and including the child) never runs in the host; one refused
// after (name, quick self-test) stays mapped but unused, as every plugin
// once mapped is never unmapped (plugin.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/file_stamp.h"
#include "loader/child_validation.h"
#include "loader/plugin.h"

namespace engram {

struct Provenance {
    std::string sha256;              // pinned digest (hex); empty: not pinned
    bool strict_permissions = true;  // StrictModes check of the file and its directories
    bool require_signature = false;  // <file>.sig must verify with a key in trusted_keys_dir
    std::filesystem::path trusted_keys_dir;
};

struct LoadOptions {
    // Features the host may use (usable_cpu_features(), possibly masked).
    uint64_t usable_cpu_features = 0;
    // The quick in-process self-test after mapping (a second line behind the
    // child's deep one). Off only for tools that will not call a kernel.
    bool self_test = true;
    // The [plugins] key: the table must call itself this; empty: any name.
    std::string expected_name;
    Provenance provenance;
    // Validation in a child before the host maps the file; nullopt only in
    // the validator itself (which is that child).
    std::optional<ChildValidation> child = ChildValidation{};
};

// The defaults (quick self-test, child validation, strict permissions) for
// these usable features.
inline LoadOptions default_load_options(uint64_t usable_cpu_features) {
    LoadOptions o;
    o.usable_cpu_features = usable_cpu_features;
    return o;
}

std::shared_ptr<const Plugin> load_plugin(const std::filesystem::path& file,
                                          const LoadOptions& options);

// Maps `mapped` (already copied and checked) and negotiates its table:
// dlopen, entry point, ABI, CPU features. No copy, no child, no self-test:
// the validator's own step, and load_plugin's last one.
std::shared_ptr<const Plugin> map_plugin(const std::filesystem::path& mapped,
                                         const std::filesystem::path& shown_as,
                                         uint64_t usable_cpu_features, std::string sha256,
                                         std::optional<FileStamp> stamp);

}  // namespace engram
