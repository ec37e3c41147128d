// The validation child's sandbox as the host sets it up: what it inherits,
// how its verdicts are read, and what happens when the validator is missing.
// The validator here is a shell script standing in for engram-validate
// (ENGRAM_VALIDATOR points at it), so the test sees exactly what a child gets.
#include <engram/kernel_abi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/sha256.h"
#include "loader/child_validation.h"
#include "zoo_paths.h"

using namespace engram;

namespace {

struct Script {
    std::filesystem::path path;
    explicit Script(const std::string& body) {
        path = std::filesystem::temp_directory_path() /
               ("engram-fake-validator-" + std::to_string(getpid()));
        std::ofstream(path) << "#!/bin/sh\n" << body;
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }
    ~Script() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
};

Error refusal(const ChildValidation& o) {
    const auto file = zoo("good");
    try {
        validate_in_child(file, sha256_file_hex(file), 0, file, o);
    } catch (const Error& e) {
        return e;
    }
    FAIL("the child's validation passed");
    return Error(ErrorCode::HttpInternal, "unreachable");
}

}  // namespace

TEST_CASE("the child inherits no descriptor but stdio and the result pipe; stdin is /dev/null") {
    // A listening socket without close-on-exec, as a careless library might leave one.
    const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(sock >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(sock, 1) == 0);
    const Script s(
        "for f in /proc/$$/fd/*; do l=\"$l $(basename $f)=$(readlink $f)\"; done\n"
        "printf 'FAIL E_SELFTEST_VALIDATOR fds:%s\\n' \"$l\" >&3\n"
        "exit 1\n");
    ChildValidation o;
    o.validator = s.path;
    const Error e = refusal(o);
    ::close(sock);
    CHECK(e.code() == ErrorCode::SelfTestValidator);
    const std::string what = e.what();
    INFO(what);
    CHECK_THAT(what, Catch::Contains(" 3=pipe:"));
    CHECK_THAT(what, !Catch::Contains("socket:"));
    CHECK_THAT(what, Catch::Contains(" 0=/dev/null"));
}

TEST_CASE("the child's verdicts: signal, exit without a verdict, timeout, missing validator") {
    ChildValidation o;
    {
        const Script s("kill -SEGV $$\n");
        o.validator = s.path;
        const Error e = refusal(o);
        CHECK(e.code() == ErrorCode::SelfTestCrashed);
        CHECK_THAT(e.what(), Catch::Contains("SIGSEGV"));
    }
    {
        const Script s("exit 0\n");
        o.validator = s.path;
        CHECK(refusal(o).code() == ErrorCode::SelfTestExited);
    }
    {
        // A child that closes the pipe and carries on is still timed out.
        const Script s("exec 3>&-\nsleep 30\n");
        o.validator = s.path;
        o.timeout_seconds = 0.5;
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(refusal(o).code() == ErrorCode::SelfTestTimeout);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    }
    o.validator = "/nonexistent/engram-validate";
    CHECK(refusal(o).code() == ErrorCode::SelfTestValidator);
}

TEST_CASE("the real validator passes a good plugin and reports what it saw") {
    const auto file = zoo("good");
    const ChildReport r =
        validate_in_child(file, sha256_file_hex(file), 0, file, ChildValidation{});
    CHECK(r.name == "zoo_good");
    CHECK(r.version == "1.0.0");
    CHECK(r.abi_major == ENGRAM_ABI_MAJOR);
    // A wrong digest means the bytes are not the ones the host hashed.
    try {
        validate_in_child(file, std::string(64, '0'), 0, file, ChildValidation{});
        FAIL("accepted a wrong digest");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::PluginDigest);
    }
}
