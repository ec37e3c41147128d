// engramctl's online commands: talk to a running engramd over HTTP.
#pragma once

#include <string>

namespace engram::ctl {

struct Endpoint {
    std::string url = "http://127.0.0.1:8080";  // scheme://host:port
    int timeout_seconds = 120;                   // a reload self-tests every plugin
};

// GET /v1/backends: a table, or the raw JSON with as_json. Exit code.
int status(const Endpoint& endpoint, bool as_json);
// POST /v1/admin/reload, which answers once the reload has finished: prints
// the new generation, or every error code; exit 0 only on success.
int reload(const Endpoint& endpoint, bool as_json);

}  // namespace engram::ctl
