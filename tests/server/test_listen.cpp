#include <catch2/catch.hpp>

#include "server/listen_address.h"
#include "server/routes.h"

using namespace engram::server;

TEST_CASE("listen addresses") {
    std::string why;
    auto a = parse_listen("127.0.0.1:8080", false, &why);
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 8080);
    a = parse_listen("[::1]:9", false, &why);
    REQUIRE(a);
    CHECK(a->host == "::1");
    CHECK_FALSE(parse_listen("::1:8080", false, &why));
    CHECK_FALSE(parse_listen("localhost", false, &why));
    CHECK_FALSE(parse_listen("h:65536", false, &why));
    CHECK_FALSE(parse_listen("h:0", false, &why));
    CHECK(parse_listen("h:0", true, &why));
    CHECK_FALSE(parse_listen(":80", true, &why));
}

TEST_CASE("loopback peers") {
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("127.1.2.3"));
    CHECK(is_loopback("::1"));
    CHECK(is_loopback("::ffff:127.0.0.1"));
    CHECK_FALSE(is_loopback("10.0.0.1"));
    CHECK_FALSE(is_loopback("::ffff:10.0.0.1"));
    CHECK_FALSE(is_loopback("1270.0.0.1"));
    CHECK_FALSE(is_loopback(""));
}
