// The exit guard engramd installs (core/app/exit_guard.h): an exit() that
// engramd did not ask for ends the process with status 70 and one line on
// stderr; engramd's own exits keep their status. Run through
// exit_guard_fixture, which links the same library engramd does.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "process.h"

using engram::testing::Child;

namespace {

struct Outcome {
    int status;
    std::string err;
};

Outcome run_fixture(const std::string& mode) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("engram-exit-guard-" + mode + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    Child c({std::string(ENGRAM_TEST_BIN_DIR) + "/exit_guard_fixture", mode}, dir);
    Outcome o{c.wait(std::chrono::seconds(30)), c.err()};
    std::filesystem::remove_all(dir);
    return o;
}

const std::string kLine =
    "engramd: exit() called by loaded code, not by engramd: exiting with status 70 (EX_SOFTWARE)\n";

}  // namespace

TEST_CASE("exit guard: exit(0) not asked for by engramd ends with status 70 and one stderr line") {
    const Outcome o = run_fixture("unrequested");
    CHECK(o.status == 70);
    CHECK(o.err == kLine);  // exactly the line: no other exit handler ran
}

TEST_CASE("exit guard: exit(0) from another thread also ends with status 70") {
    const Outcome o = run_fixture("thread");
    CHECK(o.status == 70);
    CHECK(o.err == kLine);
}

TEST_CASE("exit guard: engramd's own exits keep their status and run the other handlers") {
    for (const char* mode : {"requested", "return"}) {
        INFO(mode);
        const Outcome o = run_fixture(mode);
        CHECK(o.status == 0);
        CHECK(o.err == "earlier atexit handler ran\n");
    }
    CHECK(run_fixture("requested-status").status == 3);
}
