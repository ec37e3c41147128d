#include "app/server_settings.h"

namespace engram {

ServerConfig effective_server_config(const ServerConfig& from_toml, const ServerOverrides& cli) {
    ServerConfig s = from_toml;
    if (cli.listen) s.listen = *cli.listen;
    if (cli.threads) s.threads = *cli.threads;
    if (cli.log_level) s.log_level = *cli.log_level;
    if (cli.log_format) s.log_format = *cli.log_format;
    if (cli.pid_file) s.pid_file = *cli.pid_file;
    return s;
}

}  // namespace engram
