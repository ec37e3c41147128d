// The running host: config + kernel sets + engine, and the one reload path
// that SIGHUP and POST /v1/admin/reload both go through. Reloads are
// serialized; a failed reload leaves the serving set untouched. A reload
// builds and validates the new generation without holding the lock that
// status(), config() and the engine's readers take: publishing it is the
// only critical section. The host also
// remembers the last config that loaded (the "last-good" copy) and which
// past generations are still alive (held by requests in flight).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/rollout.h"
#include "common/error.h"
#include "config/config.h"
#include "engine/engine.h"

namespace engram {

struct ReloadResult {
    bool ok = false;
    uint64_t generation = 0;    // serving generation after the attempt
    std::vector<Error> errors;  // why it failed (empty on success)
    double duration_seconds = 0.0;
    double finished_unix = 0.0;  // wall-clock time the attempt ended
    // Accepted but not applied: [server] settings need a restart to change.
    std::vector<std::string> warnings;
    // kernel name -> backend serving after the attempt (the new set on
    // success, the untouched old one on failure), for the reload log line.
    std::vector<std::pair<std::string, std::string>> serving;
};

struct HostOptions {
    std::filesystem::path config_file;
    // Where the text of the last config that loaded is copied; empty: nowhere.
    std::filesystem::path last_good_file;
    // Start from last_good_file (loudly) when config_file does not load.
    bool use_last_good = false;
};

// A consistent picture of the host for /v1/backends and /health.
struct HostStatus {
    std::shared_ptr<const KernelSet> serving;
    // Every generation still loaded (serving included), oldest first: past
    // sets stay alive while a request in flight holds them.
    std::vector<std::shared_ptr<const KernelSet>> alive;
    std::optional<ReloadResult> last_reload;
    uint64_t reloads_ok = 0;
    uint64_t reloads_failed = 0;
    bool started_from_last_good = false;
    std::filesystem::path config_file;
    // Set while a reload is being built (validation children running).
    std::optional<double> reload_in_progress_since_unix;
    RolloutStatus rollouts;
    // The last write of the last-good config copy failed (E_RELOAD_STATE_WRITE):
    // why, and when (unix seconds). Cleared by a later successful write.
    std::optional<std::string> state_write_error;
    std::optional<double> state_write_error_unix;
};

class Host {
  public:
    // Reads the config, validates every plugin, builds the store and installs
    // generation 1. Throws ErrorList / Error on any problem.
    explicit Host(std::filesystem::path config_file);
    explicit Host(HostOptions options);

    // Re-reads the config file and swaps in a new kernel set, or keeps the
    // current one and reports why not.
    ReloadResult reload();

    // Shutting down: a reload in progress is abandoned (its validation
    // children killed) and fails with E_RELOAD_STOPPING; so does any later
    // one. Returns at once; the reload thread then finishes promptly.
    void abandon_reloads();

    // Rollout overrides (engramctl rollout promote|abort); false + why if
    // the kernel has no rollout in shadow or canary.
    bool promote_rollout(Kernel k, std::string* why);
    bool abort_rollout(Kernel k, std::string* why);

    const Engine& engine() const { return *engine_; }
    Config config() const;
    HostStatus status() const;

  private:
    // Writes the last-good copy durably; returns the E_RELOAD_STATE_WRITE
    // message when that failed (also logged, counted and kept for status()).
    std::optional<std::string> remember_last_good(const std::string& text);
    void install(std::shared_ptr<const KernelSet> set);
    // The rollout controller's publications (promotion, watchdog rollback).
    bool publish_if_current(uint64_t expected_generation, std::shared_ptr<const KernelSet> set);

    HostOptions options_;
    uint64_t usable_features_;
    // Held for a whole reload: reloads run one at a time. Nothing that
    // serves or reports status takes it.
    std::mutex reload_mutex_;
    // Guards everything below; held only for copies and the publish step
    // (nginx's cycle: the new generation is built aside, then swapped in).
    mutable std::mutex mutex_;
    std::optional<double> reload_started_unix_;
    Config config_;
    std::unique_ptr<Engine> engine_;
    // After engine_: stopped and destroyed before it.
    std::unique_ptr<RolloutController> rollouts_;
    std::vector<std::weak_ptr<const KernelSet>> history_;
    std::optional<ReloadResult> last_reload_;
    uint64_t reloads_ok_ = 0;
    uint64_t reloads_failed_ = 0;
    bool started_from_last_good_ = false;
    std::string last_good_written_;  // what remember_last_good last wrote
    struct StateWriteError {
        std::string message;
        double unix_time = 0.0;
    };
    // The last write of the last-good copy failed (cleared by a later success).
    std::optional<StateWriteError> state_write_error_;
};

// Reads FILE and returns its config and its exact text (for the last-good
// copy). Errors are those of load_config.
Config read_config(const std::filesystem::path& file, std::string* text);

// Logs which plugin serves each kernel and which plugins were skipped.
void log_kernel_set(const KernelSet& set);

}  // namespace engram
