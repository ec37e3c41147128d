// How engramd talks to its clients: cpp-httplib's request parsing and
// routing, over engramd's own connection handling.
//
// Why not httplib's own: cpp-httplib 0.11 gives each accepted connection to
// a pool thread, which then blocks reading it. Fifty clients that send half
// a request head (or a body shorter than its Content-Length) hold every
// worker of a 2-thread pool, and /health stops answering. Its stream also
// makes 13 syscalls per keep-alive request (strace -c).
//
// Here, the pool's workers share one epoll set of client connections
// (EPOLLONESHOT: each ready connection goes to exactly one worker). A worker
// reads what has arrived without blocking, and the request gate
// (server/request_framing.h) decides whether a complete request is in.
// Only then does the worker run httplib's parser and the route, on that
// request in memory, and send the whole answer with one send(). A
// half-sent request therefore holds no worker at all, only its connection,
// and the connection is closed on a deadline:
//
//   * keep_alive_ms   an idle connection (no byte of a next request);
//   * header_timeout_ms  from a request's first byte to the end of its head;
//   * body_timeout_ms    from the end of the head to the end of the body;
//   * write_timeout_ms   a client that does not take its answer (the one
//                        place a worker waits on a client);
//
// and at most max_connections are open (more are closed at once).
// Answers the gate gives itself (400, 413, 415) carry "Connection: close";
// the connection is then half-closed and its input discarded for up to
// 1 s (a lingering close, so the client reads the answer rather than a
// reset).
//
// Per keep-alive request: epoll_wait, recv, send, epoll_ctl (re-arm): 4
// syscalls.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace engram::server {

struct TransportLimits {
    unsigned workers = 2;
    size_t max_body_bytes = size_t{8} << 20;
    int keep_alive_ms = 2000;
    int header_timeout_ms = 5000;
    int body_timeout_ms = 10000;
    int write_timeout_ms = 5000;
    size_t max_connections = 256;
};

// One complete request, re-framed by the gate, as httplib reads it: the head
// then the body, from memory (a read never waits). The answer httplib
// writes collects in `out`.
class RequestStream final : public httplib::Stream {
  public:
    struct Peer {
        std::string remote_ip, local_ip;
        int remote_port = 0, local_port = 0;
    };
    RequestStream(int sock, std::string_view head, std::string_view body, const Peer& peer,
                  std::string& out)
        : sock_(sock), head_(head), body_(body), peer_(peer), out_(out) {}

    bool is_readable() const override { return pos_ < head_.size() + body_.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override {
        out_.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = peer_.remote_ip;
        port = peer_.remote_port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = peer_.local_ip;
        port = peer_.local_port;
    }
    int socket() const override { return sock_; }

  private:
    int sock_;
    std::string_view head_, body_;
    size_t pos_ = 0;
    const Peer& peer_;
    std::string& out_;
};

// httplib::Server with the connection handling above. httplib still binds
// and accepts (its accept thread hands each socket to
// process_and_close_socket, which only registers it); the workers start
// when listening starts and are joined by the drain at stop().
class BufferedServer final : public httplib::Server {
  public:
    explicit BufferedServer(TransportLimits limits);
    ~BufferedServer() override;

    size_t open_connections() const;

  protected:
    bool process_and_close_socket(int sock) override;

  private:
    struct Connection;
    class Queue;
    using Clock = std::chrono::steady_clock;

    void start_workers();
    void drain();  // stop: answer what is complete, close everything, join
    void worker_loop();
    void handle(uint64_t id);
    // Runs the requests complete in c's buffer; false once c must be closed.
    bool serve_buffered(Connection& c);
    bool send_all(Connection& c, const std::string& bytes);
    void rearm(Connection& c);
    void close_connection(uint64_t id);
    void sweep(Clock::time_point now);

    TransportLimits limits_;
    int epfd_ = -1;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> workers_;
    mutable std::mutex mutex_;  // connections_, and every Connection's busy flag and registration
    std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
    uint64_t next_id_ = 1;
    std::atomic<int64_t> next_sweep_ns_{0};
};

}  // namespace engram::server
