// The request gate (server/request_framing.h) without a server: framing
// decisions byte for byte.
#include <catch2/catch.hpp>
#include <string>

#include "server/request_framing.h"

using namespace engram;
using namespace engram::server;
using State = RequestFraming::State;

namespace {
constexpr size_t kMax = 1000;

// The framing keeps views into its input (body()), as the server's buffer
// outlives them: keep the bytes of the last call alive the same way.
State run(const std::string& bytes, RequestFraming& f) {
    static std::string input;
    input = bytes;
    return f.advance(input);
}
}  // namespace

TEST_CASE("request framing: Content-Length body, re-framed head, pipelined remainder") {
    RequestFraming f(kMax);
    const std::string req =
        "POST /v1/similar?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: "
        "application/json\r\nContent-Length: 4\r\n"
        "Expect: 100-continue\r\n\r\n";
    CHECK(run(req, f) == State::NeedMore);
    CHECK(f.wants_continue());
    CHECK(f.path() == "/v1/similar");
    CHECK(run(req + "{}", f) == State::NeedMore);
    REQUIRE(run(req + "{}  GET /", f) == State::Complete);
    CHECK(f.body() == "{}  ");
    CHECK(f.consumed() == req.size() + 4);
    CHECK(f.head() ==
          "POST /v1/similar?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: "
          "application/json\r\nContent-Length: 4\r\n\r\n");
}

TEST_CASE("request framing: a request dribbled a byte at a time") {
    RequestFraming f(kMax);
    const std::string req = "\r\nGET /health HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string in;
    for (size_t i = 0; i + 1 < req.size(); ++i) {
        in += req[i];
        REQUIRE(f.advance(in) == State::NeedMore);
    }
    in += req.back();
    REQUIRE(f.advance(in) == State::Complete);
    CHECK(f.head() == "GET /health HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("request framing: chunked bodies are decoded and bounded") {
    RequestFraming f(kMax);
    const std::string head = "POST /v1/spread HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n";
    REQUIRE(f.advance(head + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n") ==
            State::Complete);
    CHECK(f.body() == "abcde");
    CHECK(f.head() == "POST /v1/spread HTTP/1.1\r\nContent-Length: 5\r\n\r\n");

    RequestFraming big(kMax);
    CHECK(big.advance(head + "3E9\r\n") == State::Rejected);  // 1001
    CHECK(big.status() == 413);
    CHECK(big.code() == ErrorCode::HttpBodyTooLarge);

    RequestFraming sum(kMax);
    CHECK(sum.advance(head + "1F4\r\n" + std::string(500, 'a') + "\r\n1F5\r\n") == State::Rejected);
    CHECK(sum.status() == 413);

    RequestFraming bad(kMax);
    CHECK(bad.advance(head + "zz\r\n") == State::Rejected);
    CHECK(bad.status() == 400);
    RequestFraming nocrlf(kMax);
    CHECK(nocrlf.advance(head + "1\r\nab") == State::Rejected);
    CHECK(nocrlf.status() == 400);
}

TEST_CASE("request framing: refusals") {
    const auto refused = [](const std::string& headers, const std::string& path = "/v1/similar") {
        RequestFraming f(kMax);
        const State s = f.advance("POST " + path + " HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n");
        return s == State::Rejected ? f.status() : 0;
    };
    CHECK(refused("Content-Length: 1001\r\n") == 413);
    CHECK(refused("Content-Length: -1\r\n") == 400);
    CHECK(refused("Content-Length: +5\r\n") == 400);
    CHECK(refused("Content-Length: \r\n") == 400);
    CHECK(refused("Content-Length: 99999999999999999999\r\n") == 400);
    CHECK(refused("Content-Length: 5\r\nContent-Length: 7\r\n") == 400);
    CHECK(refused("Content-Length: 5,7\r\n") == 400);
    CHECK(refused("Content-Length: 5\r\nContent-Length: 5\r\n") == 0);
    CHECK(refused("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") == 400);
    CHECK(refused("Transfer-Encoding: identity\r\n") == 400);
    CHECK(refused("Transfer-Encoding: chunked, chunked\r\n") == 400);
    CHECK(refused("Content-Length : 5\r\n") == 400);
    CHECK(refused(" x: y\r\n") == 400);
    CHECK(refused("no colon\r\n") == 400);
    CHECK(refused("Content-Encoding: gzip\r\nContent-Length: 5\r\n") == 415);
    CHECK(refused("Content-Encoding: identity\r\nContent-Length: 5\r\n") == 0);
    CHECK(refused("Content-Type: application/x-www-form-urlencoded\r\n") == 415);
    CHECK(refused("Content-Type: text/json\r\n") == 415);
    CHECK(refused("Content-Type: application/json;charset=UTF-8\r\n") == 0);
    CHECK(refused("Content-Type: text/plain\r\n", "/v1/%72etention") == 415);
    CHECK(refused("Content-Type: text/plain\r\n", "/v1/admin/reload") == 0);

    RequestFraming lf(kMax);
    CHECK(lf.advance("GET / HTTP/1.1\nHost: h\n\n") == State::Rejected);
    RequestFraming huge(kMax);
    CHECK(huge.advance("GET / HTTP/1.1\r\nX: " + std::string(RequestFraming::kMaxHeadBytes, 'a')) ==
          State::Rejected);
}

TEST_CASE("request framing: only a JSON Content-Type reaches httplib") {
    RequestFraming f(kMax);
    REQUIRE(
        f.advance(
            "POST /v1/admin/reload HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 3\r\n\r\na=b") == State::Complete);
    CHECK(f.head() == "POST /v1/admin/reload HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
}
