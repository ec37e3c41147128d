// engramd as a hostile client sees it (real processes on loopback):
// one body limit for every framing, malformed and conflicting framing
// refused at once, Content-Type/Content-Encoding refused with 415,
// half-sent requests closed on their deadlines without holding a worker,
// slow-header connections not starving /health, an exclusive listening
// port, and systemd notifications on a real NOTIFY_SOCKET.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "daemon.h"

using namespace engram;
using namespace engram::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct Raw {
    int fd;
    explicit Raw(int port) : fd(connect_to(port)) { REQUIRE(fd >= 0); }
    ~Raw() { ::close(fd); }
    bool send(const std::string& b) const {
        return ::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
    }
    // Everything until the peer closes or `timeout` passes.
    std::string read_all(milliseconds timeout) const {
        std::string out;
        const auto end = Clock::now() + timeout;
        while (Clock::now() < end) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }
    // Until `marker` has arrived (or the peer closes, or the timeout).
    std::string read_until(const std::string& marker, milliseconds timeout) const {
        std::string out;
        const auto end = Clock::now() + timeout;
        while (out.find(marker) == std::string::npos && Clock::now() < end) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }
    // How long until the peer closes (EOF or reset); nullopt if not within `timeout`.
    std::optional<milliseconds> closed_within(milliseconds timeout) const {
        const auto t0 = Clock::now();
        while (Clock::now() - t0 < timeout) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
        }
        return std::nullopt;
    }
};

std::string status_of(const std::string& response) {
    return response.substr(0, response.find("\r\n"));
}

std::string post(const std::string& path, const std::string& headers, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}

std::string query_body(uint64_t dim) {
    std::string b = "{\"vector\":[";
    for (uint64_t i = 0; i < dim; ++i)
        b += (i ? "," : "") + std::to_string(0.1 + 0.01 * static_cast<double>(i % 5));
    return b + "],\"k\":3}";
}

std::string cl(size_t n) { return "Content-Length: " + std::to_string(n) + "\r\n"; }
const std::string kJson = "Content-Type: application/json\r\n";

std::string chunked(const std::string& body, size_t piece) {
    std::string out;
    char size[32];
    for (size_t i = 0; i < body.size(); i += piece) {
        const std::string part = body.substr(i, piece);
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        out += size + part + "\r\n";
    }
    return out + "0\r\n\r\n";
}

// GET /health on a fresh connection: milliseconds until the whole answer is in.
double health_ms(int port) {
    const auto t0 = Clock::now();
    Raw c(port);
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string r = c.read_all(seconds(5));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return r.rfind("HTTP/1.1 200", 0) == 0 ? ms : 1e9;
}

}  // namespace

TEST_CASE(
    "hardening: one body limit for every framing; framing and media type checked before the body") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon d(cfg, dir.path, {"--threads", "2"});
    REQUIRE(d.ready());
    const std::string body = query_body(shape.dim);
    const auto fast = milliseconds(2000);  // "at once": far below any read timeout

    SECTION("Content-Length, chunked, and gzip bodies all answer within the limit") {
        {
            Raw c(d.port());
            c.send(post("/v1/similar", kJson + cl(body.size()), body));
            CHECK(status_of(c.read_until("}]}", fast)) == "HTTP/1.1 200 OK");
        }
        {  // chunked, decoded by engramd, small pieces
            Raw c(d.port());
            c.send(
                post("/v1/similar", kJson + "Transfer-Encoding: chunked\r\n", chunked(body, 37)));
            const std::string r = c.read_until("}]}", fast);
            CHECK(status_of(r) == "HTTP/1.1 200 OK");
            CHECK(r.find("\"results\"") != std::string::npos);
        }
        {  // identical duplicate Content-Length values are one value
            Raw c(d.port());
            c.send(post("/v1/similar", kJson + cl(body.size()) + cl(body.size()), body));
            CHECK(status_of(c.read_until("}]}", fast)) == "HTTP/1.1 200 OK");
        }
    }
    SECTION("a 20 MiB chunked body is refused with 413 before it is all read") {
        Raw c(d.port());
        const std::string piece(1 << 20, ' ');
        c.send(post("/v1/similar", kJson + "Transfer-Encoding: chunked\r\n", ""));
        const auto t0 = Clock::now();
        for (int i = 0; i < 20; ++i) {
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
            if (!c.send(size + piece + "\r\n")) break;  // the server may have stopped reading
        }
        const std::string r = c.read_until("}}", seconds(5));
        CHECK(status_of(r) == "HTTP/1.1 413 Payload Too Large");
        CHECK(r.find("E_HTTP_BODY_TOO_LARGE") != std::string::npos);
        CHECK(Clock::now() - t0 < seconds(5));
    }
    SECTION("a chunk size beyond the limit is 413 at once") {
        Raw c(d.port());
        c.send(post("/v1/similar", kJson + "Transfer-Encoding: chunked\r\n",
                    "1400000\r\n"));  // 20 MiB
        const std::string r = c.read_until("}}", fast);
        CHECK(status_of(r) == "HTTP/1.1 413 Payload Too Large");
    }
    SECTION("Content-Length above the limit with Expect: 100-continue: 413, no 100") {
        Raw c(d.port());
        c.send(post("/v1/similar", kJson + cl(20u << 20) + "Expect: 100-continue\r\n", ""));
        const std::string r = c.read_until("}}", fast);
        CHECK(status_of(r) == "HTTP/1.1 413 Payload Too Large");
    }
    SECTION("malformed, conflicting or ambiguous framing is 400 at once") {
        const std::vector<std::string> heads = {
            "Content-Length: -1\r\n",
            "Content-Length: 18446744073709551616\r\n",
            "Content-Length: 12abc\r\n",
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            "Content-Length: 5, 6\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: gzip, chunked\r\n",
            " folded: header\r\n",
        };
        for (const auto& h : heads) {
            INFO(h);
            Raw c(d.port());
            const auto t0 = Clock::now();
            c.send(post("/v1/similar", kJson + h, "abcde"));
            const std::string r = c.read_until("}}", fast);
            CHECK(status_of(r) == "HTTP/1.1 400 Bad Request");
            CHECK(r.find("\"E_HTTP_BAD_JSON\"") != std::string::npos);
            CHECK(r.find("Connection: close") != std::string::npos);
            CHECK(Clock::now() - t0 < fast);
        }
    }
    SECTION(
        "a JSON endpoint refuses another Content-Type, and Content-Encoding, with 415 "
        "E_HTTP_MEDIA_TYPE") {
        std::string big = body;
        big.insert(big.size() - 1, std::string(10000, ' '));  // above httplib's 8 KiB form limit
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"Content-Type: application/x-www-form-urlencoded\r\n", body},
            {"Content-Type: application/x-www-form-urlencoded\r\n", big},
            {"Content-Type: text/plain\r\n", body},
            {kJson + "Content-Encoding: gzip\r\n", body},
        };
        for (const auto& [h, b] : cases) {
            INFO(h << " body " << b.size());
            Raw c(d.port());
            c.send(post("/v1/similar", h + cl(b.size()), b));
            const std::string r = c.read_until("}}", fast);
            CHECK(status_of(r) == "HTTP/1.1 415 Unsupported Media Type");
            CHECK(r.find("\"E_HTTP_MEDIA_TYPE\"") != std::string::npos);
        }
        // application/json with parameters, any case, and no Content-Type at all, are JSON.
        for (const std::string h : {"Content-Type: Application/JSON; charset=utf-8\r\n", ""}) {
            Raw c(d.port());
            c.send(post("/v1/similar", h + cl(big.size()), big));
            CHECK(status_of(c.read_until("}]}", fast)) == "HTTP/1.1 200 OK");
        }
        const auto m = d.client()->Get("/metrics");
        REQUIRE(m);
        CHECK(m->body.find("route=\"/v1/similar\",code=\"415\"") != std::string::npos);
    }
}

TEST_CASE("hardening: half-sent requests are closed on their deadlines and hold no worker") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon d(cfg, dir.path, {"--threads", "2"});
    REQUIRE(d.ready());

    // More half-sent requests than workers, of both kinds, all at once.
    std::vector<std::unique_ptr<Raw>> heads, bodies;
    for (int i = 0; i < 3; ++i) {
        heads.push_back(std::make_unique<Raw>(d.port()));
        heads.back()->send("POST /v1/similar HTTP/1.1\r\nHost: x\r\nContent-");
        bodies.push_back(std::make_unique<Raw>(d.port()));
        bodies.back()->send(post("/v1/similar", kJson + cl(1000), "{\"vector\":[1,"));
    }
    const auto t0 = Clock::now();
    // Both workers are free: /health answers at once, repeatedly.
    for (int i = 0; i < 5; ++i) CHECK(health_ms(d.port()) < 1000);
    // Head: 5 s after its first byte; body: 10 s after the end of the head.
    const auto head_closed = heads[0]->closed_within(seconds(8));
    REQUIRE(head_closed);
    const auto head_at = Clock::now() - t0;
    CHECK(head_at >= milliseconds(4800));
    CHECK(head_at <= milliseconds(6500));
    const auto body_closed = bodies[0]->closed_within(seconds(8));
    REQUIRE(body_closed);
    const auto body_at = Clock::now() - t0;
    CHECK(body_at >= milliseconds(9800));
    CHECK(body_at <= milliseconds(11500));
    CHECK(health_ms(d.port()) < 1000);
}

TEST_CASE("hardening: 50 slow-header connections do not starve /health (p99 < 100 ms)",
          "[slowloris]") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon d(cfg, dir.path, {"--threads", "2"});
    REQUIRE(d.ready());

    // 50 connections, each sending its head a few bytes at a time, forever
    // (reopened when the 5 s header deadline closes one).
    std::atomic<bool> done{false};
    std::thread slow([&] {
        std::vector<std::unique_ptr<Raw>> conns;
        for (int i = 0; i < 50; ++i) conns.push_back(std::make_unique<Raw>(d.port()));
        const std::string head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        size_t step = 0;
        while (!done) {
            for (auto& c : conns) {
                const std::string bytes = step == 0 ? head : "ab";
                if (!c->send(bytes)) {
                    c = std::make_unique<Raw>(d.port());
                    c->send(head);
                }
            }
            ++step;
            std::this_thread::sleep_for(milliseconds(100));
        }
    });
    std::this_thread::sleep_for(milliseconds(500));
    std::vector<double> ms;
    const auto end = Clock::now() + seconds(8);  // spans a header deadline of the slow ones
    while (Clock::now() < end && ms.size() < 400) {
        ms.push_back(health_ms(d.port()));
        std::this_thread::sleep_for(milliseconds(10));
    }
    done = true;
    slow.join();
    std::sort(ms.begin(), ms.end());
    const double p50 = ms[ms.size() / 2], p99 = ms[ms.size() * 99 / 100], worst = ms.back();
    WARN("/health from a fresh client with 50 slow-header connections open: n="
         << ms.size() << " p50=" << p50 << " ms p99=" << p99 << " ms max=" << worst << " ms");
    REQUIRE(ms.size() >= 100);
    CHECK(p99 < 100.0);
}

TEST_CASE("hardening: a second engramd on a busy address exits non-zero with E_SERVER_LISTEN") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon first(cfg, dir.path);
    REQUIRE(first.ready());
    const fs::path second_dir = dir.path / "second";
    fs::create_directories(second_dir);
    Child second({kEngramd, "--config", cfg.string(), "--listen",
                  "127.0.0.1:" + std::to_string(first.port()), "--port-file",
                  (second_dir / "port").string()},
                 second_dir);
    const int code = second.wait(seconds(60));
    CHECK(code == 1);
    CHECK_THAT(second.err(), Catch::Contains("E_SERVER_LISTEN"));
    CHECK_FALSE(fs::exists(second_dir / "port"));
    // The first one still serves, alone.
    int status = 0;
    first.get("/health", &status);
    CHECK(status == 200);
}

namespace {

// A NOTIFY_SOCKET as systemd binds it: a unix datagram socket.
class NotifySocket {
  public:
    explicit NotifySocket(const fs::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof a.sun_path);
        std::strcpy(a.sun_path, path.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~NotifySocket() { ::close(fd_); }
    // The next datagram, or "" after `timeout`.
    std::string next(milliseconds timeout) const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    }

  private:
    fs::path path_;
    int fd_;
};

bool has(const std::string& message, const std::string& line) {
    return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE(
    "notify: READY=1 once listening, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on "
    "SIGTERM") {
    TempDir dir;
    const StoreShape shape;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    const NotifySocket sock(dir.path / "notify.sock");
    Daemon d(cfg, dir.path, {}, {"NOTIFY_SOCKET=" + (dir.path / "notify.sock").string()});

    const std::string ready = sock.next(seconds(60));
    INFO(ready);
    REQUIRE(has(ready, "READY=1"));
    CHECK(ready.find("STATUS=serving generation 1 on 127.0.0.1:") != std::string::npos);
    // By the time READY=1 is sent the port is listening and the port file is there.
    REQUIRE(d.ready(seconds(1)));
    const int fd = connect_to(d.port());
    CHECK(fd >= 0);
    if (fd >= 0) ::close(fd);
    CHECK(ready.find("on 127.0.0.1:" + std::to_string(d.port())) != std::string::npos);

    d.process().signal(SIGHUP);
    const std::string reloading = sock.next(seconds(30));
    CHECK(has(reloading, "RELOADING=1"));
    const std::string reloaded = sock.next(seconds(30));
    CHECK(has(reloaded, "READY=1"));
    CHECK(reloaded.find("STATUS=serving generation 2 on 127.0.0.1:" + std::to_string(d.port())) !=
          std::string::npos);

    d.process().signal(SIGTERM);
    const std::string stopping = sock.next(seconds(30));
    CHECK(has(stopping, "STOPPING=1"));
    CHECK(d.process().wait() == 0);
}
