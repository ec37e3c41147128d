// The HTTP API (docs/reference/http_api.md): one handler per endpoint, each
// turning JSON into an engine call and the answer (or the error) back into
// JSON. Handlers never let an exception escape and never touch the loader.
#pragma once

#include <atomic>
#include <cstddef>

#include "app/host.h"
#include "app/reloader.h"

namespace httplib {
class Server;
}

namespace engram::server {

struct RouteContext {
    Host& host;
    Reloader& reloader;
    const std::atomic<bool>& stopping;  // set when SIGTERM starts the drain
    size_t max_body_bytes;
};

void install_routes(httplib::Server& server, RouteContext& context);

// The route label of engram_http_requests_total: the endpoint's path, or
// "other" for any unknown path (a scanner cannot grow the series).
std::string route_label(const std::string& path);

// true for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
bool is_loopback(const std::string& address);

}  // namespace engram::server
