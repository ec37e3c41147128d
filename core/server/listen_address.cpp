#include "server/listen_address.h"

#include <cctype>

namespace engram::server {

std::optional<ListenAddress> parse_listen(const std::string& text, bool allow_port_zero, std::string* why) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        *why = "expected HOST:PORT";
        return std::nullopt;
    }
    ListenAddress a;
    a.host = text.substr(0, colon);
    const std::string port = text.substr(colon + 1);
    if (a.host.front() == '[') {
        if (a.host.size() < 3 || a.host.back() != ']') {
            *why = "an IPv6 host must be written in brackets, e.g. [::1]:8080";
            return std::nullopt;
        }
        a.host = a.host.substr(1, a.host.size() - 2);
    } else if (a.host.find(':') != std::string::npos) {
        *why = "an IPv6 host must be written in brackets, e.g. [::1]:8080";
        return std::nullopt;
    }
    if (port.empty() || port.size() > 5) {
        *why = "the port must be a number 1..65535";
        return std::nullopt;
    }
    unsigned long n = 0;
    for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            *why = "the port must be a number 1..65535";
            return std::nullopt;
        }
        n = n * 10 + static_cast<unsigned long>(c - '0');
    }
    if (n > 65535 || (n == 0 && !allow_port_zero)) {
        *why = allow_port_zero ? "the port must be a number 0..65535" : "the port must be a number 1..65535";
        return std::nullopt;
    }
    a.port = static_cast<uint16_t>(n);
    return a;
}

}  // namespace engram::server
