// engramctl's online commands: talk to a running engramd over HTTP.
#pragma once

#include <optional>
#include <string>

namespace engram::ctl {

struct Endpoint {
    std::string url = "http://127.0.0.1:8080";  // scheme://host:port
    int timeout_seconds = 120;                  // a reload self-tests every plugin
};

// engramctl --listen HOST:PORT as a base URL ("http://127.0.0.1:8080",
// "http://[::1]:8080"), through the one HOST:PORT parser
// (config_values::parse_host_port): nullopt and *why if malformed.
std::optional<std::string> url_for_listen(const std::string& listen, std::string* why);

// GET /v1/backends: a table, or the raw JSON with as_json. Exit code.
int status(const Endpoint& endpoint, bool as_json);
// POST /v1/admin/reload, which answers once the reload has finished: prints
// the new generation, or every error code; exit 0 only on success.
int reload(const Endpoint& endpoint, bool as_json);

}  // namespace engram::ctl
