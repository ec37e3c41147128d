// engramd's connection transport (server/buffered_connection.h) over raw
// loopback sockets: what a client may legally do with HTTP/1.1 bytes, and
// that each answer goes out in one segment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "daemon.h"

using namespace engram;
using namespace engram::testing;

namespace engram::testing {
uint32_t data_segments_in(int fd);  // tcp_segments.cpp
}

namespace {

class RawClient {
  public:
    explicit RawClient(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~RawClient() { ::close(fd_); }
    void send(const std::string& bytes) {
        REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(bytes.size()));
    }
    // Reads until `count` complete responses (by Content-Length) have arrived
    // or `timeout` passes; returns every byte read.
    std::string read_responses(int count, std::chrono::milliseconds timeout) {
        return read_while([&] { return complete(buffer_) < count; }, timeout);
    }
    // Reads until `marker` has arrived or `timeout` passes.
    std::string read_until(const std::string& marker, std::chrono::milliseconds timeout) {
        return read_while([&] { return buffer_.find(marker) == std::string::npos; }, timeout);
    }
    void clear() { buffer_.clear(); }
    // Segments carrying data that this socket has received (Linux TCP_INFO):
    // a response sent with one send() below the loopback MSS is one segment.
    uint32_t data_segments_in() const { return engram::testing::data_segments_in(fd_); }
    bool closed_by_peer(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
        char c;
        return ::recv(fd_, &c, 1, 0) == 0;
    }

    static int complete(const std::string& s) {
        int n = 0;
        size_t pos = 0;
        for (;;) {
            const size_t head_end = s.find("\r\n\r\n", pos);
            if (head_end == std::string::npos) return n;
            const size_t cl = s.find("Content-Length: ", pos);
            if (cl == std::string::npos || cl > head_end) return n;
            const size_t len = std::stoul(s.substr(cl + 16));
            if (s.size() < head_end + 4 + len) return n;
            pos = head_end + 4 + len;
            ++n;
        }
    }

  private:
    template <class More>
    std::string read_while(More more, std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (more() && std::chrono::steady_clock::now() < end) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) break;
            buffer_.append(buf, static_cast<size_t>(n));
        }
        return buffer_;
    }

    int fd_;
    std::string buffer_;
};

std::string similar_request(const std::string& body, const std::string& extra_headers = "") {
    return "POST /v1/similar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

std::string query_body(uint64_t dim) {
    std::string b = "{\"vector\":[";
    for (uint64_t i = 0; i < dim; ++i)
        b += (i ? "," : "") + std::to_string(0.01 * static_cast<double>(i % 7) + 0.1);
    return b + "],\"k\":3}";
}

}  // namespace

TEST_CASE(
    "transport: pipelined, dribbled and 100-continue requests; one segment per answer; idle "
    "close") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const std::string body = query_body(shape.dim);

    SECTION("an answer (status line, headers and body) arrives in one segment") {
        RawClient c(d.port());
        for (int i = 0; i < 3; ++i) {
            const uint32_t before = c.data_segments_in();
            c.send(similar_request(body));
            const std::string r = c.read_responses(i + 1, std::chrono::seconds(10));
            REQUIRE(RawClient::complete(r) == i + 1);
            CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
            CHECK(r.find("\"backend\":\"reference\"") != std::string::npos);
            CHECK(c.data_segments_in() - before == 1);
        }
    }
    SECTION("two requests in one write are both answered, in order") {
        RawClient c(d.port());
        c.send(similar_request(body) + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string r = c.read_responses(2, std::chrono::seconds(10));
        REQUIRE(RawClient::complete(r) == 2);
        const size_t second = r.find("HTTP/1.1 200 OK", 1);
        REQUIRE(second != std::string::npos);
        CHECK(r.substr(0, second).find("\"results\"") != std::string::npos);
        CHECK(r.substr(second).find("\"generation\"") != std::string::npos);
    }
    SECTION("a request dribbled a few bytes at a time is parsed whole") {
        RawClient c(d.port());
        const std::string req = similar_request(body);
        for (size_t i = 0; i < req.size(); i += 7) {
            c.send(req.substr(i, 7));
            if (i % 140 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        const std::string r = c.read_responses(1, std::chrono::seconds(10));
        REQUIRE(RawClient::complete(r) == 1);
        CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    }
    SECTION("Expect: 100-continue gets its interim answer before the body is sent") {
        RawClient c(d.port());
        std::string req = similar_request(body, "Expect: 100-continue\r\n");
        const size_t head = req.find("\r\n\r\n") + 4;
        c.send(req.substr(0, head));
        // The interim answer has no body: wait for its blank line.
        const std::string interim = c.read_until("\r\n\r\n", std::chrono::seconds(2));
        CHECK(interim.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
        c.clear();
        c.send(req.substr(head));
        const std::string r = c.read_responses(1, std::chrono::seconds(10));
        CHECK(r.find("HTTP/1.1 200 OK\r\n") != std::string::npos);
    }
    SECTION("an idle keep-alive connection is closed after [server] keep-alive (2 s)") {
        RawClient c(d.port());
        c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(RawClient::complete(c.read_responses(1, std::chrono::seconds(10))) == 1);
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(c.closed_by_peer(std::chrono::seconds(6)));
        const auto idle = std::chrono::steady_clock::now() - t0;
        CHECK(idle >= std::chrono::milliseconds(1900));
    }
}
