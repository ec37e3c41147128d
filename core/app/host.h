// The running host: config + kernel sets + engine, and the one reload path
// that SIGHUP (and later the admin endpoint) goes through. Reloads are
// serialized; a failed reload leaves the serving set untouched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "config/config.h"
#include "engine/engine.h"

namespace engram {

struct ReloadResult {
    bool ok = false;
    uint64_t generation = 0;       // serving generation after the attempt
    std::vector<Error> errors;     // why it failed (empty on success)
    double duration_seconds = 0.0;
};

class Host {
public:
    // Reads the config, validates every plugin, builds the store and installs
    // generation 1. Throws ErrorList / Error on any problem.
    explicit Host(std::filesystem::path config_file);

    // Re-reads the same config file and swaps in a new kernel set, or keeps
    // the current one and reports why not.
    ReloadResult reload();

    const Engine& engine() const { return *engine_; }
    Config config() const;

private:
    std::filesystem::path config_file_;
    uint64_t usable_features_;
    mutable std::mutex mutex_;  // serializes reloads and guards config_
    Config config_;
    std::unique_ptr<Engine> engine_;
};

// Logs which plugin serves each kernel and which plugins were skipped.
void log_kernel_set(const KernelSet& set);

}  // namespace engram
