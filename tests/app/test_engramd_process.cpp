// engramd as a real process: --check-config on good and bad files, and the
// serve loop with SIGHUP (reload, old set kept on failure) and SIGTERM.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"

using namespace engram::testing;
namespace fs = std::filesystem;

namespace {
const std::string kEngramd = std::string(ENGRAM_TEST_BIN_DIR) + "/engramd";
const std::string kReference = std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_reference.so";
const std::string kWrongMajor = std::string(ENGRAM_TEST_ZOO_DIR) + "/libengram_zoo_wrong_major.so";

struct Dir {
    fs::path path;
    Dir() {
        std::string t = (fs::temp_directory_path() / "engramd-test-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~Dir() { fs::remove_all(path); }
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return path / name;
    }
};

std::string small_config(const std::string& extra_plugins = "") {
    return "[plugins]\nreference = \"" + kReference + "\"\n" + extra_plugins +
           "[store]\nmemories = 300\ndim = 8\navg_in_degree = 3\nseed = 5\n";
}
}  // namespace

TEST_CASE("engramd --check-config accepts a good file and the shipped config parses") {
    Dir d;
    const auto cfg = d.write("good.toml", small_config());
    Child c({kEngramd, "--check-config", cfg.string()}, d.path);
    CHECK(c.wait() == 0);
    CHECK_THAT(c.out(), Catch::Contains("configuration OK"));
    CHECK_THAT(c.err(), Catch::Contains("backend=reference"));
}

TEST_CASE("engramd --check-config lists every error and exits non-zero") {
    Dir d;
    const auto cfg =
        d.write("bad.toml", "[plugins]\nreference = \"" + kReference +
                                "\"\n[backends]\nsimilarty = \"auto\"\n[store]\ndim = -1\n");
    Child c({kEngramd, "--check-config", cfg.string()}, d.path);
    CHECK(c.wait() == 1);
    CHECK_THAT(c.err(), Catch::Contains("E_CONFIG_UNKNOWN_KEY") && Catch::Contains("bad.toml:4:1"));
    CHECK_THAT(c.err(), Catch::Contains("E_CONFIG_VALUE") && Catch::Contains("bad.toml:6:7"));
    CHECK_THAT(c.err(), Catch::Contains("configuration check failed"));
}

TEST_CASE("engramd --check-config refuses a broken plugin with its code") {
    Dir d;
    const auto cfg = d.write("zoo.toml", small_config("broken = \"" + kWrongMajor + "\"\n"));
    Child c({kEngramd, "--check-config", cfg.string()}, d.path);
    CHECK(c.wait() == 1);
    CHECK_THAT(c.err(), Catch::Contains("E_ABI_MAJOR") && Catch::Contains(kWrongMajor));
}

TEST_CASE("engramd: an unknown ENGRAM_DISABLE_CPU_FEATURES name is an error") {
    Dir d;
    const auto cfg = d.write("good.toml", small_config());
    Child c({kEngramd, "--check-config", cfg.string()}, d.path,
            {"ENGRAM_DISABLE_CPU_FEATURES=avx3"});
    CHECK(c.wait() == 1);
    CHECK_THAT(c.err(), Catch::Contains("E_ENV_INVALID") && Catch::Contains("avx3"));
}

TEST_CASE(
    "engramd serves, reloads on SIGHUP, keeps the old set on a bad edit, exits 0 on SIGTERM") {
    Dir d;
    const auto cfg = d.write("engram.toml", small_config());
    // Ready = the port file (written atomically once listening), not a log
    // line; an ephemeral port, so no other engramd on the machine collides.
    const fs::path port_file = d.path / "engramd.port";
    Child c({kEngramd, "--config", cfg.string(), "--listen", "127.0.0.1:0", "--port-file",
             port_file.string()},
            d.path);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int port = 0;
    while (port <= 0 && std::chrono::steady_clock::now() < end) {
        std::ifstream in(port_file);
        if (!(in >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(port > 0);

    d.write("engram.toml", "[plugins\n");  // broken TOML
    c.signal(SIGHUP);
    REQUIRE(c.wait_for_stderr("result=failed", std::chrono::seconds(30)));
    CHECK_THAT(c.err(), Catch::Contains("code=E_CONFIG_SYNTAX") && Catch::Contains("generation=1"));

    d.write("engram.toml", small_config());
    c.signal(SIGHUP);
    REQUIRE(c.wait_for_stderr("generation=2 result=ok", std::chrono::seconds(30)));

    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    CHECK_THAT(c.err(), Catch::Contains("engramd stopping"));
    CHECK_FALSE(fs::exists(port_file));  // removed at a clean exit
}
