// "HOST:PORT" as the config and --listen write it ("[::1]:8080" for IPv6).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace engram::server {

struct ListenAddress {
    std::string host;  // brackets removed: "::1"
    uint16_t port = 0;
};

// nullopt (and *why) if malformed. allow_port_zero: "pick a free port", which
// only the command line accepts (tests and ad-hoc runs).
std::optional<ListenAddress> parse_listen(const std::string& text, bool allow_port_zero,
                                          std::string* why);

}  // namespace engram::server
