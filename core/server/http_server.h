// The HTTP listener: cpp-httplib's parser and routes (routes.h) on engramd's
// own connection handling (buffered_connection.h): a fixed pool of workers
// that only ever run complete requests. start() binds exclusively (no
// SO_REUSEPORT: a second engramd on a busy address fails with
// E_SERVER_LISTEN) before engramd reports ready, and serves on a background
// thread; stop() closes the listening socket and returns once every request
// already received has been answered.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "app/host.h"
#include "app/reloader.h"
#include "server/buffered_connection.h"
#include "server/listen_address.h"
#include "server/routes.h"

namespace engram::server {

struct ServerOptions {
    ListenAddress address{"127.0.0.1", 8080};
    unsigned threads = 2;
    // Larger bodies -- by Content-Length, chunked, either way -- are refused
    // with 413 E_HTTP_BODY_TOO_LARGE as soon as a length says so: 8 MiB holds
    // a 768-d query many times over and ~1M retention ids.
    size_t max_body_bytes = size_t{8} << 20;
    // Deadlines on a client connection (server/buffered_connection.h). A
    // connection waiting for any of them holds no worker thread.
    int keep_alive_seconds = 2;    // idle between requests
    int header_timeout_ms = 5000;  // a request's first byte to the end of its head
    int body_timeout_ms = 10000;   // end of the head to the end of the body
    int write_timeout_ms = 5000;   // a client not taking its answer (holds a worker)
    size_t max_connections = 256;  // more are closed as soon as accepted
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
    std::unique_ptr<BufferedServer> server_;
    static constexpr int kListenBacklog = 1024;
    int listen_fd_ = -1;  // the listening socket, seen in the socket-options hook
    std::thread thread_;
};

}  // namespace engram::server
