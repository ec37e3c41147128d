#include "server/buffered_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

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

}  // namespace

BufferedSocketStream::BufferedSocketStream(int sock, int read_timeout_ms, int write_timeout_ms)
    : sock_(sock), read_timeout_ms_(read_timeout_ms), in_(new char[kReadChunk]) {
    // A blocking send() that a stalled client never drains gives up here.
    timeval tv{write_timeout_ms / 1000, (write_timeout_ms % 1000) * 1000};
    ::setsockopt(sock_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    // Each answer is one send(), but an interim "100 Continue" followed by
    // the answer is two: never let the second wait for the client's
    // delayed ACK (set here rather than trusting inheritance from the
    // listening socket).
    const int one = 1;
    ::setsockopt(sock_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) numeric_address(a, remote_ip_, remote_port_);
    len = sizeof a;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) numeric_address(a, local_ip_, local_port_);
}

bool BufferedSocketStream::wait_readable(int timeout_ms) const {
    pollfd p{sock_, POLLIN, 0};
    for (;;) {
        const int r = ::poll(&p, 1, timeout_ms);
        if (r >= 0) return r > 0;
        if (errno != EINTR) return false;
    }
}

bool BufferedSocketStream::is_readable() const { return in_pos_ < in_len_ || wait_readable(read_timeout_ms_); }

int BufferedSocketStream::fill() {
    if (!flush()) return -1;  // what the peer is owed goes out before we wait for it
    in_pos_ = in_len_ = 0;
    for (;;) {
        const ssize_t n = ::recv(sock_, in_.get(), kReadChunk, MSG_DONTWAIT);
        if (n > 0) {
            in_len_ = static_cast<size_t>(n);
            return 1;
        }
        if (n == 0) return 0;  // the peer closed
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (!wait_readable(read_timeout_ms_)) return -1;  // read timeout
    }
}

ssize_t BufferedSocketStream::read(char* ptr, size_t size) {
    if (in_pos_ == in_len_) {
        const int r = fill();
        if (r <= 0) return r;
    }
    const size_t n = std::min(size, in_len_ - in_pos_);
    std::memcpy(ptr, in_.get() + in_pos_, n);
    in_pos_ += n;
    return static_cast<ssize_t>(n);
}

ssize_t BufferedSocketStream::write(const char* ptr, size_t size) {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
}

bool BufferedSocketStream::flush() {
    size_t sent = 0;
    while (sent < out_.size()) {
        const ssize_t n = ::send(sock_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            out_.clear();
            return false;
        }
        sent += static_cast<size_t>(n);
    }
    out_.clear();
    return true;
}

bool BufferedSocketStream::wait_for_request(int idle_timeout_ms, const std::atomic<int>& listen_socket) {
    if (in_pos_ < in_len_) return true;  // the client already sent the next one
    if (!flush()) return false;
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(idle_timeout_ms);
    for (;;) {
        if (listen_socket.load() == INVALID_SOCKET) return false;  // the server is stopping
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return false;
        if (wait_readable(static_cast<int>(std::min<long long>(left, 50)))) return true;
    }
}

void BufferedSocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    ip = remote_ip_;
    port = remote_port_;
}

void BufferedSocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
    ip = local_ip_;
    port = local_port_;
}

bool BufferedServer::process_and_close_socket(int sock) {
    const auto ms = [](time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); };
    BufferedSocketStream strm(sock, ms(read_timeout_sec_, read_timeout_usec_),
                              ms(write_timeout_sec_, write_timeout_usec_));
    bool ret = false;
    // As httplib's own loop: at most keep_alive_max_count_ requests, the last
    // one answered with "Connection: close".
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
        if (!strm.wait_for_request(static_cast<int>(keep_alive_timeout_sec_ * 1000), svr_sock_)) break;
        bool connection_closed = false;
        ret = process_request(strm, left == 1, connection_closed, nullptr);
        if (!strm.flush()) ret = false;
        if (!ret || connection_closed) break;
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
}

}  // namespace engram::server
