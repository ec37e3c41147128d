// Pure checks on single config values, with no TOML in sight, so they can be
// tested directly and reused by the CLI layer for flags that override the
// config (e.g. --listen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace engram::config_values {

// Plugin and priority names: [a-z0-9_]{1,64} (the same rule the ABI applies to
// a plugin's own name, so the two can be compared byte for byte). A longer
// name is invalid, never truncated.
inline constexpr std::size_t kMaxNameLength = 64;
bool is_valid_name(std::string_view name);

// The one HOST:PORT parser ("127.0.0.1:8080", "[::1]:8080"): the config's
// [server] listen, engramd --listen (server::parse_listen) and engramctl
// --listen (ctl::url_for_listen) all use it. The host comes back without
// brackets. Port 0 ("pick a free port") only with allow_port_zero.
struct HostPort {
    std::string host;
    uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text, bool allow_port_zero,
                                        std::string* why);

// "host:port" or "[v6addr]:port". Returns the reason it is invalid, or nothing.
std::optional<std::string> check_listen(std::string_view listen);

// Arena sizes: "<digits>" optionally followed by one of B, KiB, MiB, GiB (one
// space allowed before the unit). Decimal units (KB, MB) are refused rather
// than guessed. Returns the byte count, or the reason in `reason`.
std::optional<uint64_t> parse_size(std::string_view text, std::string& reason);

// A path from the config: relative ones are taken against `base_dir`, and the
// result is lexically normalised (symlinks are not resolved: the file need
// not exist yet, and the operator's spelling is what logs should show).
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view path);

// `text` in double quotes with ", \ and control characters escaped, so a key
// that is itself odd still reads unambiguously in an error message.
std::string quote(std::string_view text);

// Shortest decimal form of a double that reads back exactly.
std::string format_double(double value);

}  // namespace engram::config_values
