// engramd's [server] settings after the command line is applied:
// CLI flag > TOML [server] > built-in default (ServerConfig's initialisers).
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace engram {

struct ServerOverrides {  // one field per engramd flag; unset = not given
    std::optional<std::string> listen;
    std::optional<unsigned> threads;
    std::optional<std::string> log_level;
    std::optional<std::string> log_format;
    std::optional<std::string> pid_file;
};

ServerConfig effective_server_config(const ServerConfig& from_toml, const ServerOverrides& cli);

}  // namespace engram
