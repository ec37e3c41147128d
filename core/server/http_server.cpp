#include "server/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>

#include "app/log.h"
#include "common/error.h"
#include "server/buffered_connection.h"

namespace engram::server {

namespace {

TransportLimits transport_limits(const ServerOptions& o) {
    TransportLimits t;
    t.workers = o.threads;
    t.max_body_bytes = o.max_body_bytes;
    t.keep_alive_ms = o.keep_alive_seconds * 1000;
    t.header_timeout_ms = o.header_timeout_ms;
    t.body_timeout_ms = o.body_timeout_ms;
    t.write_timeout_ms = o.write_timeout_ms;
    t.max_connections = o.max_connections;
    return t;
}

}  // namespace

HttpServer::HttpServer(Host& host, Reloader& reloader, ServerOptions options)
    : options_(std::move(options)),
      context_{host, reloader, stopping_, options_.max_body_bytes},
      server_(std::make_unique<BufferedServer>(transport_limits(options_))) {
    // httplib's default sets SO_REUSEPORT as well, and with it a second
    // engramd on the same port shares it silently. SO_REUSEADDR alone lets a
    // restart bind while old connections sit in TIME_WAIT, but not while
    // another socket listens there.
    server_->set_socket_options([this](socket_t sock) {
        const int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listen_fd_ = sock;  // the last one tried is the one that bound
    });
    // Without it a response split over two segments waits for the client's
    // delayed ACK: ~40 ms per request on Linux loopback (measured).
    server_->set_tcp_nodelay(true);
    install_routes(*server_, context_);
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::start() {
    const auto& a = options_.address;
    int port = a.port;
    if (a.port == 0) {
        port = server_->bind_to_any_port(a.host);
        if (port <= 0) port = -1;
    } else if (!server_->bind_to_port(a.host, a.port)) {
        port = -1;
    }
    if (port < 0)
        throw Error(ErrorCode::ServerListen, "cannot listen on " + a.host + ":" +
                                                 std::to_string(a.port) +
                                                 " (address in use, not local, or not permitted)");
    // Debian's compiled httplib listens with a backlog of 5: a burst of new
    // connections (slow clients, health checks) then has its SYNs dropped and
    // retried a second later. listen() again on the bound socket raises it.
    if (listen_fd_ >= 0) ::listen(listen_fd_, kListenBacklog);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so don't return before it does.
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return static_cast<uint16_t>(port);
}

void HttpServer::stop() {
    stopping_ = true;  // /health and /ready answer 503 from now on
    // Closes the listening socket; listen_after_bind() returns once the pool
    // has run every connection it had accepted to completion.
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace engram::server
