// The pure value checks (no TOML): names, listen addresses, sizes, paths.
#include <catch2/catch.hpp>

#include "config/config_values.h"

using namespace engram::config_values;

TEST_CASE("plugin names are [a-z0-9_]+", "[config][values]") {
    CHECK(is_valid_name("avx2"));
    CHECK(is_valid_name("my_plugin_3"));
    CHECK_FALSE(is_valid_name(""));
    CHECK_FALSE(is_valid_name("AVX2"));
    CHECK_FALSE(is_valid_name("avx-2"));
    CHECK_FALSE(is_valid_name("a b"));
    CHECK_FALSE(is_valid_name("caf\xc3\xa9"));
}

TEST_CASE("listen addresses", "[config][values]") {
    CHECK_FALSE(check_listen("127.0.0.1:8080"));
    CHECK_FALSE(check_listen("localhost:1"));
    CHECK_FALSE(check_listen("0.0.0.0:65535"));
    CHECK_FALSE(check_listen("[::1]:8080"));
    CHECK_FALSE(check_listen("[::]:80"));
    CHECK(check_listen("127.0.0.1"));
    CHECK(check_listen(":8080"));
    CHECK(check_listen("[]:8080"));
    CHECK(check_listen("127.0.0.1:0"));
    CHECK(check_listen("127.0.0.1:65536"));
    CHECK(check_listen("127.0.0.1:123456"));
    CHECK(check_listen("127.0.0.1:80a"));
    CHECK(check_listen("127.0.0.1:"));
    CHECK(check_listen("127.0.0.1:-1"));
    CHECK(check_listen("[::1:8080"));
    CHECK(check_listen("[::1]8080"));
    CHECK(*check_listen("::1:8080") == "an IPv6 address must be in brackets, e.g. \"[::1]:8080\"");
    CHECK(check_listen("my host:80"));
}

TEST_CASE("arena sizes with binary suffixes", "[config][values]") {
    std::string reason;
    CHECK(parse_size("4096", reason) == 4096u);
    CHECK(parse_size("4096B", reason) == 4096u);
    CHECK(parse_size("4KiB", reason) == 4096u);
    CHECK(parse_size("1MiB", reason) == (1u << 20));
    CHECK(parse_size("1 MiB", reason) == (1u << 20));
    CHECK(parse_size("64GiB", reason) == (uint64_t{64} << 30));
    CHECK_FALSE(parse_size("1MB", reason));
    CHECK(reason == "unknown unit \"MB\" (use B, KiB, MiB or GiB)");
    CHECK_FALSE(parse_size("1mib", reason));
    CHECK_FALSE(parse_size("1.5MiB", reason));
    CHECK_FALSE(parse_size("MiB", reason));
    CHECK_FALSE(parse_size("", reason));
    CHECK_FALSE(parse_size("-1MiB", reason));
    CHECK_FALSE(parse_size("1  MiB", reason));
    CHECK_FALSE(parse_size("99999999999999999999", reason));
    CHECK(reason == "the size is too large");
    CHECK_FALSE(parse_size("17179869184GiB", reason));  // 2^34 GiB = 2^64 bytes
}

TEST_CASE("paths resolve against the base directory, lexically", "[config][values]") {
    CHECK(resolve_path("/etc/engram", "p.so") == "/etc/engram/p.so");
    CHECK(resolve_path("/etc/engram", "../build/./plugins/p.so") == "/etc/build/plugins/p.so");
    CHECK(resolve_path("/etc/engram", "/opt/p.so") == "/opt/p.so");
    CHECK(resolve_path("/etc/engram", "/opt//x/../p.so") == "/opt/p.so");
}

TEST_CASE("quote escapes what would make a message ambiguous", "[config][values]") {
    CHECK(quote("abc") == "\"abc\"");
    CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quote("a\nb") == "\"a\\x0ab\"");
}

TEST_CASE("plugin names: at most 64 characters", "[config][values]") {
    using engram::config_values::is_valid_name;
    CHECK(engram::config_values::kMaxNameLength == 64);
    CHECK(is_valid_name(std::string(64, 'a')));
    CHECK(is_valid_name(std::string(63, '_') + "9"));
    CHECK_FALSE(is_valid_name(std::string(65, 'a')));
    CHECK_FALSE(is_valid_name(std::string(1000, 'a')));
}
