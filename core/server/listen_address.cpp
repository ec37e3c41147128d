#include "server/listen_address.h"

#include "config/config_values.h"

namespace engram::server {

// The one HOST:PORT parser lives with the config's checks
// (config_values::parse_host_port): --listen and [server] listen accept and
// refuse exactly the same text, with the same reasons.
std::optional<ListenAddress> parse_listen(const std::string& text, bool allow_port_zero,
                                          std::string* why) {
    const auto hp = config_values::parse_host_port(text, allow_port_zero, why);
    if (!hp) return std::nullopt;
    return ListenAddress{hp->host, hp->port};
}

}  // namespace engram::server
