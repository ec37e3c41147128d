#include "server/buffered_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "metrics/registry.h"
#include "server/json_codec.h"
#include "server/request_framing.h"
#include "server/routes.h"

namespace engram::server {

namespace {

void numeric_address(const sockaddr_storage& a, std::string& ip, int& port) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
        ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
        port = ntohs(v4.sin_port);
    } else if (a.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
        port = ntohs(v6.sin6_port);
    }
    ip = buf;
}

const char* reason(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 413:
            return "Payload Too Large";
        case 415:
            return "Unsupported Media Type";
        default:
            return "Error";
    }
}

constexpr size_t kReadChunk = 64 * 1024;
// Per readiness event at most this much is read before the connection goes
// back to the set (fairness between connections).
constexpr size_t kReadPerEvent = 1 << 20;
constexpr int kLingerMs = 1000;
constexpr int kSweepIntervalMs = 50;

}  // namespace

ssize_t RequestStream::read(char* ptr, size_t size) {
    size_t n = 0;
    while (n < size && pos_ < head_.size() + body_.size()) {
        const bool in_head = pos_ < head_.size();
        const std::string_view part =
            in_head ? head_.substr(pos_) : body_.substr(pos_ - head_.size());
        const size_t k = std::min(size - n, part.size());
        std::memcpy(ptr + n, part.data(), k);
        n += k;
        pos_ += k;
    }
    return static_cast<ssize_t>(n);  // 0 at the end: the request is all there is
}

struct BufferedServer::Connection {
    enum class Phase { Idle, Head, Body, Draining };

    Connection(int f, uint64_t i, size_t max_body) : fd(f), id(i), framing(max_body) {}
    const int fd;
    const uint64_t id;
    RequestStream::Peer peer;
    std::string in;  // received and not yet consumed; starts at a request's first byte
    RequestFraming framing;
    Phase phase = Phase::Idle;
    bool continue_sent = false;
    bool busy = false;  // a worker has it (guarded by the server's mutex)
    Clock::time_point deadline;
};

// httplib's accept loop runs each accepted socket through this "queue":
// process_and_close_socket() runs inline and only registers the socket.
class BufferedServer::Queue final : public httplib::TaskQueue {
  public:
    explicit Queue(BufferedServer& s) : s_(s) { s_.start_workers(); }
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override { s_.drain(); }

  private:
    BufferedServer& s_;
};

BufferedServer::BufferedServer(TransportLimits limits) : limits_(limits) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    new_task_queue = [this] { return new Queue(*this); };
    set_payload_max_length(limits_.max_body_bytes);
}

BufferedServer::~BufferedServer() {
    drain();
    if (epfd_ >= 0) ::close(epfd_);
}

size_t BufferedServer::open_connections() const {
    std::lock_guard<std::mutex> l(mutex_);
    return connections_.size();
}

void BufferedServer::start_workers() {
    stopping_ = false;
    for (unsigned i = 0; i < std::max(1u, limits_.workers); ++i)
        workers_.emplace_back([this] { worker_loop(); });
}

void BufferedServer::drain() {
    stopping_ = true;
    for (auto& t : workers_) t.join();
    workers_.clear();
    std::lock_guard<std::mutex> l(mutex_);
    for (auto& [id, c] : connections_) ::close(c->fd);
    connections_.clear();
}

bool BufferedServer::process_and_close_socket(int sock) {
    const int flags = ::fcntl(sock, F_GETFL);
    ::fcntl(sock, F_SETFL, flags | O_NONBLOCK);
    // Each answer is one send(), but an interim "100 Continue" and the
    // answer are two: never let the second wait for a delayed ACK.
    const int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> l(mutex_);
    if (connections_.size() >= limits_.max_connections || stopping_) {
        ::close(sock);
        return false;
    }
    auto c = std::make_shared<Connection>(sock, next_id_++, limits_.max_body_bytes);
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        numeric_address(a, c->peer.remote_ip, c->peer.remote_port);
    len = sizeof a;
    if (::getsockname(sock, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        numeric_address(a, c->peer.local_ip, c->peer.local_port);
    c->deadline = Clock::now() + std::chrono::milliseconds(limits_.keep_alive_ms);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, sock, &ev) != 0) {
        ::close(sock);
        return false;
    }
    connections_.emplace(c->id, std::move(c));
    return true;
}

void BufferedServer::worker_loop() {
    epoll_event events[4];
    for (;;) {
        const bool stopping = stopping_.load();
        // While stopping: take what is ready now, then leave.
        const int n = ::epoll_wait(epfd_, events, 4, stopping ? 0 : kSweepIntervalMs);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0 && stopping) break;
        for (int i = 0; i < n; ++i) handle(events[i].data.u64);
        const auto now = Clock::now();
        const int64_t now_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
        int64_t due = next_sweep_ns_.load();
        if (now_ns >= due && next_sweep_ns_.compare_exchange_strong(
                                 due, now_ns + int64_t{kSweepIntervalMs} * 1000000))
            sweep(now);
    }
}

void BufferedServer::sweep(Clock::time_point now) {
    std::lock_guard<std::mutex> l(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
        Connection& c = *it->second;
        // An idle keep-alive connection whose next request has already
        // arrived (waiting for a free worker) is not idle: closing it would
        // drop a request sent in time.
        int pending = 0;
        if (!c.busy && now >= c.deadline &&
            !(c.phase == Connection::Phase::Idle && ::ioctl(c.fd, FIONREAD, &pending) == 0 &&
              pending > 0)) {
            ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
}

void BufferedServer::close_connection(uint64_t id) {
    std::lock_guard<std::mutex> l(mutex_);
    const auto it = connections_.find(id);
    if (it == connections_.end()) return;
    ::close(it->second->fd);
    connections_.erase(it);
}

void BufferedServer::rearm(Connection& c) {
    // Under the lock: the sweeper must not close the fd between the re-arm
    // and busy = false, and another worker's event must not find it busy.
    std::lock_guard<std::mutex> l(mutex_);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = c.id;
    ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.busy = false;
}

bool BufferedServer::send_all(Connection& c, const std::string& bytes) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(limits_.write_timeout_ms);
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(c.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                    .count();
            if (left <= 0) return false;  // the client does not take its answer
            pollfd p{c.fd, POLLOUT, 0};
            ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
            continue;
        }
        return false;
    }
    return true;
}

void BufferedServer::handle(uint64_t id) {
    std::shared_ptr<Connection> cp;
    {
        std::lock_guard<std::mutex> l(mutex_);
        const auto it = connections_.find(id);
        if (it == connections_.end() || it->second->busy) return;  // closed meanwhile (stale event)
        cp = it->second;
        cp->busy = true;
    }
    Connection& c = *cp;

    // Read what has arrived, without waiting.
    bool eof = false;
    size_t got = 0;
    char buf[kReadChunk];
    while (got < kReadPerEvent) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
            got += static_cast<size_t>(n);
            if (c.phase != Connection::Phase::Draining) c.in.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        eof = true;  // closed by the peer, or an error
        break;
    }

    if (c.phase == Connection::Phase::Draining) {
        if (eof || stopping_) return close_connection(id);
        return rearm(c);
    }
    if (!serve_buffered(c)) return close_connection(id);
    // A half-sent request is not finished while stopping; an idle
    // connection is closed at once; the peer closing ends it either way.
    if (eof || stopping_) return close_connection(id);
    rearm(c);
}

bool BufferedServer::serve_buffered(Connection& c) {
    using Phase = Connection::Phase;
    const auto now = Clock::now();
    while (!c.in.empty()) {
        if (c.phase == Phase::Idle) {
            c.phase = Phase::Head;
            c.deadline = now + std::chrono::milliseconds(limits_.header_timeout_ms);
        }
        const RequestFraming::State state = c.framing.advance(c.in);
        if (state == RequestFraming::State::NeedMore) {
            if (c.framing.head_done() && c.phase == Phase::Head) {
                c.phase = Phase::Body;
                c.deadline = now + std::chrono::milliseconds(limits_.body_timeout_ms);
            }
            if (c.framing.wants_continue() && !c.continue_sent) {
                c.continue_sent = true;
                if (!send_all(c, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
            }
            return true;
        }
        if (state == RequestFraming::State::Rejected) {
            const std::string body = encode_error(c.framing.code(), c.framing.message());
            const int status = c.framing.status();
            const std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                                       std::to_string(body.size()) +
                                       "\r\nConnection: close\r\n\r\n" + body;
            metrics::Registry::global().http(route_label(c.framing.path()), status).requests.add();
            if (!send_all(c, answer)) return false;
            // Lingering close: no more answers, the rest of the input is read
            // and dropped for a while, so the client sees the answer, not a reset.
            ::shutdown(c.fd, SHUT_WR);
            c.phase = Phase::Draining;
            c.in.clear();
            c.deadline = now + std::chrono::milliseconds(kLingerMs);
            return true;
        }
        // Complete: httplib parses and routes the re-framed request from memory.
        std::string out;
        bool closed = false;
        bool ok;
        {
            RequestStream strm(c.fd, c.framing.head(), c.framing.body(), c.peer, out);
            ok = process_request(strm, stopping_.load(), closed, nullptr);
        }
        if (!send_all(c, out) || !ok || closed || stopping_) return false;
        c.in.erase(0, c.framing.consumed());
        c.framing.reset();
        c.continue_sent = false;
        c.phase = Phase::Idle;
        c.deadline = Clock::now() + std::chrono::milliseconds(limits_.keep_alive_ms);
    }
    return true;
}

}  // namespace engram::server
