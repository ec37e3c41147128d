// The host's configuration, read strictly from TOML (see
// docs/reference/configuration.md). Strict means: an unknown key, a wrong
// type or an out-of-range value is an error naming file:line:column, and
// nothing is silently replaced by a default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace engram {

// Which kernels the host serves; order is the ABI's engram_kernel_id.
enum class Kernel { Similarity = 0, Spreading = 1, Decay = 2 };
inline constexpr Kernel kAllKernels[] = {Kernel::Similarity, Kernel::Spreading, Kernel::Decay};
// "similarity", "spreading", "decay": the names used in TOML, logs and HTTP.
const char* kernel_name(Kernel k);

struct StoreConfig {
    enum class Kind { Synthetic, Files };
    Kind kind = Kind::Synthetic;
    // synthetic
    uint64_t memories = 10000;
    uint64_t dim = 768;
    double avg_in_degree = 8.0;
    uint64_t seed = 42;
    // files (paths already resolved against the config file's directory)
    std::filesystem::path embeddings;    // .npy, float32 or float64, shape (n, dim)
    std::filesystem::path edges;         // CSV: source,target,weight
    std::filesystem::path memories_csv;  // optional CSV: id,strength,last_access,stability
    // defaults for memories without a row in memories_csv, and for synthetic
    double default_stability_seconds = 86400.0;  // e-folding time, not a half-life
};

struct BackendsConfig {
    // Backend name per kernel: a key of [plugins] or "auto".
    std::string similarity = "auto";
    std::string spreading = "auto";
    std::string decay = "auto";
    // "auto" picks the first usable plugin in this order.
    std::vector<std::string> priority = {"avx512", "avx2", "neon", "reference"};
    const std::string& for_kernel(Kernel k) const;
};

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";
    unsigned threads = 2;
    std::string log_level = "info";   // debug|info|warn|error
    std::string log_format = "text";  // text|json
    std::string pid_file;             // empty: none
    bool allow_remote_admin = false;
};

// [arena]: the per-thread scratch arena kernels allocate from.
struct ArenaConfig {
    uint64_t size = uint64_t{1} << 20;  // bytes, 4 KiB .. 64 GiB
    std::string overflow = "error";     // panic|error|fallback
};

// Per-plugin provenance options, from the inline-table form of a [plugins]
// entry: name = { path = "...", sha256 = "...", strict_permissions = false }.
struct PluginPolicy {
    std::string sha256;               // lower-case hex; empty: not pinned
    bool strict_permissions = true;   // refuse group/world-writable file or directories
};

// [validation]: the child process every new plugin file is tested in.
struct ValidationConfig {
    double timeout_seconds = 10.0;       // wall clock, 0.1 .. 600
    uint64_t address_space_mib = 4096;   // RLIMIT_AS of the child, 256 .. 1048576
    uint64_t cpu_seconds = 30;           // RLIMIT_CPU of the child, 1 .. 3600
};

// [security]: detached Ed25519 signatures (<plugin>.sig beside the plugin).
struct SecurityConfig {
    bool require_signature = false;
    std::filesystem::path trusted_keys_dir;  // PEM public keys; required when require_signature
};

struct Config {
    std::filesystem::path source;  // the file it was read from (absolute)
    // [plugins] name -> absolute path (relative paths resolved against the
    // config file's directory). Ordered by name for stable output.
    std::map<std::string, std::filesystem::path> plugins;
    // Provenance options by [plugins] name; a name absent here has the
    // defaults (strict permissions, no pinned digest).
    std::map<std::string, PluginPolicy> plugin_policy;
    BackendsConfig backends;
    StoreConfig store;
    ServerConfig server;
    ArenaConfig arena;
    ValidationConfig validation;
    SecurityConfig security;

    const PluginPolicy& policy_for(const std::string& plugin) const;
};

// Reads and validates FILE. Throws engram::ErrorList listing every problem
// found (each message begins "FILE:LINE:COLUMN: "), or a single-entry list
// with E_CONFIG_READ / E_CONFIG_SYNTAX.
Config load_config(const std::filesystem::path& file);
// Same, from a string (tests); `name` stands in for the file name and
// relative paths resolve against `base_dir`.
Config parse_config(const std::string& toml_text, const std::string& name,
                    const std::filesystem::path& base_dir);

}  // namespace engram
