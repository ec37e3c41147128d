// The host's configuration, read strictly from TOML (see
// docs/reference/configuration.md). Strict means: an unknown key, a wrong
// type or an out-of-range value is an error naming file:line:column, and
// nothing is silently replaced by a default.
#pragma once

#include <array>
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

// How the store keeps its embeddings in memory (converted from float rows at
// load, or read as such from an int8 / bf16 .npy): f32 as read, bf16 (round to nearest even), or
// int8 with one float scale per row (scale = max|c|/127, code = round(c/scale)). ABI 1.1 kernels
// serve the compressed formats (E_BACKEND_FORMAT_UNSUPPORTED otherwise).
enum class EmbeddingFormat { F32, Bf16, Int8 };
// "f32", "bf16", "int8".
const char* embedding_format_name(EmbeddingFormat f);

struct StoreConfig {
    enum class Kind { Synthetic, Files };
    Kind kind = Kind::Synthetic;
    EmbeddingFormat embedding_format = EmbeddingFormat::F32;  // both kinds
    // synthetic
    uint64_t memories = 10000;
    uint64_t dim = 768;
    double avg_in_degree = 8.0;
    uint64_t seed = 42;
    // files (paths already resolved against the config file's directory)
    // .npy, shape (n, dim): float32 or float64 (converted at load), or the
    // compressed rows themselves: int8 codes with embedding_format = "int8",
    // bf16 bit patterns with embedding_format = "bf16" (store/dataset_io.h)
    std::filesystem::path embeddings;
    std::filesystem::path embedding_scales;  // .npy float32 (n,) or (n, 1): the int8 codes' scales
    std::filesystem::path edges;             // CSV: source,target,weight
    std::filesystem::path memories_csv;      // optional CSV: id,strength,last_access,stability
    // defaults for memories without a row in memories_csv, and for synthetic
    double default_stability_seconds = 86400.0;  // e-folding time, not a half-life
    // How the graph's nodes are numbered inside the store (core/store/graph_order.cpp).
    enum class Reorder { None, Degree };
    Reorder reorder = Reorder::None;

    // Every key: a reload compares the whole table (a change needs a restart).
    bool operator==(const StoreConfig&) const = default;
};

struct BackendsConfig {
    // Backend name per kernel: a key of [plugins] or "auto".
    std::string similarity = "auto";
    std::string spreading = "auto";
    std::string decay = "auto";
    // "auto" picks the first usable plugin in this order.
    std::vector<std::string> priority = {"avx512_vnni",  "avx512", "avx2",
                                         "neon_dotprod", "neon",   "reference"};
    const std::string& for_kernel(Kernel k) const;
};

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";
    unsigned threads = 2;
    std::string log_level = "info";   // debug|info|warn|error
    std::string log_format = "text";  // text|json
    std::string pid_file;             // empty: none
    bool allow_remote_admin = false;
    // Threads one large similarity/decay request may use (core/engine/kernel_pool.h);
    // 0 (key absent): min(2, hardware threads). 1 never splits.
    unsigned kernel_threads = 0;
    // Rows (store memories for similarity, ids for decay) from which a request is split.
    uint64_t kernel_split_min_rows = 100000;
};

// [arena]: the per-thread scratch arena kernels allocate from.
struct ArenaConfig {
    uint64_t size = uint64_t{16} << 20;  // bytes, 4 KiB .. 64 GiB (kDefaultArenaSize)
    std::string overflow = "error";      // panic|error|fallback
};

// Per-plugin provenance options, from the inline-table form of a [plugins]
// entry: name = { path = "...", sha256 = "...", strict_permissions = false }.
struct PluginPolicy {
    std::string sha256;              // lower-case hex; empty: not pinned
    bool strict_permissions = true;  // refuse group/world-writable file or directories
};

// [validation]: the child process every new plugin file is tested in.
struct ValidationConfig {
    double timeout_seconds = 10.0;      // wall clock, 0.1 .. 600
    uint64_t address_space_mib = 4096;  // RLIMIT_AS of the child, 256 .. 1048576
    uint64_t cpu_seconds = 30;          // RLIMIT_CPU of the child, 1 .. 3600
};

// [security]: detached Ed25519 signatures (<plugin>.sig beside the plugin).
struct SecurityConfig {
    bool require_signature = false;
    std::filesystem::path trusted_keys_dir;  // PEM public keys; required when require_signature
};

// [rollout.<kernel>]: bring a candidate backend to live traffic step by step
// (docs/operations/rollouts.md).
struct RolloutConfig {
    std::string candidate;        // a [plugins] key, not the serving backend
    std::string mode = "canary";  // "shadow" | "canary"
    double shadow_sample = 0.05;  // share of requests the other backend also computes, off-path
    std::vector<double> steps = {1, 5, 25, 100};  // canary percent, increasing, ending at 100
    uint64_t step_requests = 200;    // candidate calls a step (or a shadow window) needs at least
    double step_seconds = 10.0;      // and wall time it needs at least
    uint64_t min_comparisons = 20;   // shadow comparisons an analysis needs at least
    double max_mismatch_rate = 0.0;  // mismatches / comparisons
    double max_latency_ratio = 1.5;  // candidate p99 / serving p99 in the window
    double max_error_rate = 0.0;     // candidate errors / candidate calls
    uint64_t max_nonfinite = 0;      // candidate non-finite answers
    bool operator==(const RolloutConfig&) const = default;
};

// [watchdog]: after a reload that changed a kernel's backend, watch the new
// one and roll back to the previous generation by itself.
struct WatchdogConfig {
    bool enabled = true;
    double window_seconds = 60.0;    // how long after the swap
    uint64_t min_calls = 50;         // calls before error rate and latency are judged
    double max_error_rate = 0.01;    // errors / calls of the new backend
    uint64_t max_nonfinite = 0;      // non-finite answers of the new backend
    double max_latency_ratio = 2.0;  // new p99 / the previous backend's p99 before the swap
    double compare_sample = 0.0;     // share of requests also run by the previous backend, compared
    double max_mismatch_rate = 0.0;  // mismatches / comparisons (with compare_sample > 0)
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
    // [rollout.<kernel>], indexed by Kernel; empty candidate: no rollout.
    std::array<RolloutConfig, 3> rollout;
    WatchdogConfig watchdog;

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
