#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config_values.h"
#include "ctl/ctl_http.h"
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

TEST_CASE("one HOST:PORT parser: --listen, [server] listen and engramctl --listen agree") {
    const std::vector<std::string> inputs{
        "127.0.0.1:8080", "[::1]:9",   "0.0.0.0:1", "[::]:65535", "host.example:80",
        "::1:8080",       "localhost", "h:65536",   "h:0",        ":80",
        "[::1]",          "[::1:80",   "[]:80",     "h :80",      "h:8o",
        "h:000080",       ""};
    for (const auto& text : inputs) {
        std::string why_server, why_config, why_ctl;
        const auto server = parse_listen(text, false, &why_server);
        const auto config = engram::config_values::check_listen(text);
        const auto url = engram::ctl::url_for_listen(text, &why_ctl);
        INFO(text);
        CHECK(server.has_value() == !config.has_value());
        CHECK(server.has_value() == url.has_value());
        if (!server) {
            CHECK(why_server == *config);
            CHECK(why_ctl == *config);
        }
    }
    std::string why;
    CHECK(engram::ctl::url_for_listen("[::1]:8080", &why) == "http://[::1]:8080");
    CHECK(engram::ctl::url_for_listen("127.0.0.1:80", &why) == "http://127.0.0.1:80");
    CHECK_FALSE(engram::ctl::url_for_listen("::1:8080", &why));
    CHECK_THAT(why, Catch::Contains("brackets"));
}
