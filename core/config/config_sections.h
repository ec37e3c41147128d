// One reader per top-level table of the config. Each reports its problems to
// `diag` and fills only the fields whose values are valid; parse_config throws
// if anything was reported, so a half-filled Config never escapes.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "config/config.h"
#include "config/config_reader.h"

namespace engram::config_detail {

// Returns every key written in [plugins], valid or not, so [backends] can
// tell "not a plugin" from "a plugin whose entry has an error" and does not
// report the same mistake twice.
std::set<std::string> read_plugins(Diagnostics& diag, const toml::table& root,
                                   const std::filesystem::path& base_dir, Config& cfg);
void read_backends(Diagnostics& diag, const toml::table& root,
                   const std::set<std::string>& plugin_keys, BackendsConfig& out);
void read_store(Diagnostics& diag, const toml::table& root, const std::filesystem::path& base_dir,
                StoreConfig& out);
void read_server(Diagnostics& diag, const toml::table& root, const std::filesystem::path& base_dir,
                 ServerConfig& out);
void read_arena(Diagnostics& diag, const toml::table& root, ArenaConfig& out);
void read_validation(Diagnostics& diag, const toml::table& root, ValidationConfig& out);
void read_security(Diagnostics& diag, const toml::table& root,
                   const std::filesystem::path& base_dir, SecurityConfig& out);

void read_rollouts(Diagnostics& diag, const toml::table& root,
                   const std::set<std::string>& plugin_keys, const BackendsConfig& backends,
                   std::array<RolloutConfig, 3>& out);
void read_watchdog(Diagnostics& diag, const toml::table& root, WatchdogConfig& out);

}  // namespace engram::config_detail
