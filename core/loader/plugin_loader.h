// Loading and validating a backend: private copy -> dlopen (Boost.DLL, now +
// local) -> entry point -> ABI negotiation -> CPU features -> self-test.
// Every refusal throws engram::Error with a stable code and a message naming
// the file and the reason; nothing of a refused plugin stays loaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "loader/plugin.h"

namespace engram {

struct LoadOptions {
    // Features the host may use (usable_cpu_features(), possibly masked).
    uint64_t usable_cpu_features = 0;
    // Run the oracle self-test before returning. Off only for tools that
    // report the ABI of a plugin they will not call.
    bool self_test = true;
};

std::shared_ptr<const Plugin> load_plugin(const std::filesystem::path& file,
                                          const LoadOptions& options);

}  // namespace engram
