// The HTTP listener: a cpp-httplib server on a fixed-size thread pool, with
// the routes of routes.h. start() binds (so a bad address fails before
// engramd reports ready) and serves on a background thread; stop() closes
// the listening socket and returns once every request already being handled
// has been answered.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "app/host.h"
#include "app/reloader.h"
#include "server/listen_address.h"
#include "server/routes.h"

namespace httplib {
class Server;
}

namespace engram::server {

struct ServerOptions {
    ListenAddress address{"127.0.0.1", 8080};
    unsigned threads = 2;
    // Larger bodies are refused with 413 E_HTTP_BODY_TOO_LARGE before they
    // are read: 8 MiB holds a 768-d query many times over and ~1M retention ids.
    size_t max_body_bytes = size_t{8} << 20;
    // An idle keep-alive connection holds a pool thread; drop it after this.
    int keep_alive_seconds = 2;
};

class HttpServer {
public:
    HttpServer(Host& host, Reloader& reloader, ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts serving; returns the bound port (useful with port 0).
    // Throws Error(E_SERVER_LISTEN) if the address cannot be bound.
    uint16_t start();
    // Stop accepting, finish in-flight requests, join. Idempotent.
    void stop();

private:
    ServerOptions options_;
    std::atomic<bool> stopping_{false};
    RouteContext context_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace engram::server
