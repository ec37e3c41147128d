// The Host's reload path with real files: a bad edit or a bad plugin leaves
// the serving set untouched; a good edit swaps it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "app/host.h"
#include "engine_fixture.h"

using namespace engram;
using namespace engram::testing;
namespace fs = std::filesystem;

namespace {
struct ConfigFile {
    fs::path dir, file;
    ConfigFile() {
        std::string t = (fs::temp_directory_path() / "engram-host-XXXXXX").string();
        dir = mkdtemp(t.data());
        file = dir / "engram.toml";
    }
    ~ConfigFile() { fs::remove_all(dir); }
    void write(const std::string& text) const { std::ofstream(file) << text; }
};

std::string config_text(const std::string& plugins, const std::string& backends) {
    return "[plugins]\n" + plugins + "\n[backends]\n" + backends +
           "\n[store]\nkind = \"synthetic\"\nmemories = 200\ndim = 16\navg_in_degree = 4\nseed = 1\n";
}
}  // namespace

TEST_CASE("reload: good edit swaps, bad edits keep the old set serving") {
    ConfigFile cf;
    const std::string plugins = "reference = \"" + reference_path() + "\"\nzoo_good = \"" + zoo_path("good") + "\"";
    cf.write(config_text(plugins, "similarity = \"reference\"\npriority = [\"reference\"]"));
    Host host(cf.file);
    std::vector<float> q(16, 0.5f);
    CHECK(host.engine().find_similar(q, 3).backend == "reference");

    cf.write(config_text(plugins, "similarity = \"zoo_good\"\npriority = [\"reference\"]"));
    auto r = host.reload();
    CHECK(r.ok);
    CHECK(r.generation == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // Broken TOML.
    cf.write("[plugins\n");
    r = host.reload();
    CHECK_FALSE(r.ok);
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].code() == ErrorCode::ConfigSyntax);
    CHECK(r.generation == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // A refused plugin.
    cf.write(config_text(plugins + "\nbad = \"" + zoo_path("wrong_numerics") + "\"",
                         "priority = [\"reference\"]"));
    r = host.reload();
    CHECK_FALSE(r.ok);
    CHECK(r.errors[0].code() == ErrorCode::SelfTestNumerics);
    CHECK(host.engine().snapshot()->generation() == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // A missing plugin.
    cf.write(config_text("reference = \"" + reference_path() + "\"\nx = \"nowhere.so\"", ""));
    r = host.reload();
    CHECK_FALSE(r.ok);
    CHECK(r.errors[0].code() == ErrorCode::PluginNotFound);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");
}

TEST_CASE("a bad config at startup is an error listing every problem") {
    ConfigFile cf;
    cf.write("[plugins]\nreference = \"" + reference_path() + "\"\n[backends]\nsimilarty = \"auto\"\ndecay = 3\n");
    try {
        Host host(cf.file);
        FAIL("accepted a bad config");
    } catch (const ErrorList& e) {
        CHECK(e.errors().size() == 2);
    }
}
