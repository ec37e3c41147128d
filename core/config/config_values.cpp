#include "config/config_values.h"

#include <charconv>
#include <cstdio>
#include <limits>

namespace engram::config_values {

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

static bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<HostPort> parse_host_port(std::string_view text, bool allow_port_zero,
                                        std::string* why) {
    const auto fail = [why](const char* reason) {
        *why = reason;
        return std::optional<HostPort>();
    };
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':') return fail("expected ':PORT' after ']'");
        port = rest.substr(1);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail("expected HOST:PORT");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        // A bare IPv6 address is ambiguous (which colon starts the port?).
        if (host.find(':') != std::string_view::npos)
            return fail("an IPv6 address must be in brackets, e.g. \"[::1]:8080\"");
    }
    if (host.empty()) return fail("the host is empty (use 0.0.0.0 or [::] for all interfaces)");
    for (char c : host) {
        if (c == ' ' || c == '\t' || c == '[' || c == ']' || c == '/')
            return fail("the host contains an invalid character");
    }
    const char* range = allow_port_zero ? "the port must be a number 0..65535"
                                        : "the port must be a number 1..65535";
    if (!all_digits(port)) return fail(range);
    // At most 5 digits keeps the conversion below from overflowing.
    if (port.size() > 5)
        return fail(allow_port_zero ? "the port must be 0..65535" : "the port must be 1..65535");
    unsigned value = 0;
    std::from_chars(port.data(), port.data() + port.size(), value);
    if (value > 65535 || (value == 0 && !allow_port_zero))
        return fail(allow_port_zero ? "the port must be 0..65535" : "the port must be 1..65535");
    return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

std::optional<std::string> check_listen(std::string_view listen) {
    std::string why;
    if (parse_host_port(listen, false, &why)) return std::nullopt;
    return why;
}

std::optional<uint64_t> parse_size(std::string_view text, std::string& reason) {
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    const std::string_view digits = text.substr(0, i);
    std::string_view unit = text.substr(i);
    if (digits.empty()) {
        reason = "expected a number of bytes, optionally with a KiB, MiB or GiB suffix";
        return std::nullopt;
    }
    if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    uint64_t multiplier = 0;
    if (unit.empty() || unit == "B") {
        multiplier = 1;
    } else if (unit == "KiB") {
        multiplier = uint64_t{1} << 10;
    } else if (unit == "MiB") {
        multiplier = uint64_t{1} << 20;
    } else if (unit == "GiB") {
        multiplier = uint64_t{1} << 30;
    } else {
        reason = "unknown unit \"" + std::string(unit) + "\" (use B, KiB, MiB or GiB)";
        return std::nullopt;
    }
    uint64_t count = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || end != digits.data() + digits.size() ||
        count > std::numeric_limits<uint64_t>::max() / multiplier) {
        reason = "the size is too large";
        return std::nullopt;
    }
    return count * multiplier;
}

std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view path) {
    const std::filesystem::path p{std::string(path)};
    return (p.is_absolute() ? p : base_dir / p).lexically_normal();
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string format_double(double value) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec != std::errc()) return "?";
    return std::string(buf, end);
}

}  // namespace engram::config_values
