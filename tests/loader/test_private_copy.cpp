// Each load reads a private copy: a rebuilt plugin at the same path is really
// loaded, an in-place overwrite cannot fault the loaded code, and the library
// stays loaded while someone holds the Plugin.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "loader/plugin_loader.h"
#include "platform/cpu_features.h"
#include "zoo_paths.h"

using namespace engram;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "engram-test-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

float call_similarity(const Plugin& p) {
    const float q[] = {1, 2, 3}, c[] = {1, 2, 3};
    float s = 0;
    REQUIRE(p.table().similarity(q, c, nullptr, 1, 3, &s, nullptr, 0) == ENGRAM_OK);
    return s;
}
}  // namespace

TEST_CASE("a plugin replaced by atomic rename at the same path is really reloaded") {
    TempDir dir;
    const fs::path installed = dir.path / "libengram_x.so";
    fs::copy_file(zoo("good"), installed);
    auto v1 = load_plugin(installed, default_load_options(detect_cpu_features()));
    CHECK(std::string(v1->version()) == "1.0.0");

    fs::copy_file(zoo("good_v2"), dir.path / "new.so");
    fs::rename(dir.path / "new.so", installed);
    auto v2 = load_plugin(installed, default_load_options(detect_cpu_features()));
    CHECK(std::string(v2->version()) == "2.0.0");
    CHECK(v1->sha256() != v2->sha256());
    // Both generations are live and callable side by side.
    CHECK(call_similarity(*v1) == Approx(1.0f));
    CHECK(call_similarity(*v2) == Approx(1.0f));
}

TEST_CASE("overwriting the plugin file in place does not fault the loaded code") {
    TempDir dir;
    const fs::path installed = dir.path / "libengram_x.so";
    fs::copy_file(zoo("good"), installed);
    auto p = load_plugin(installed, default_load_options(detect_cpu_features()));
    {
        // Truncate and scribble over the operator's file, as a careless cp would.
        std::ofstream out(installed, std::ios::binary | std::ios::trunc);
        out << std::string(4096, '\xCC');
    }
    CHECK(call_similarity(*p) == Approx(1.0f));
    CHECK(std::string(p->name()) == "zoo_good");
}

TEST_CASE("the private copy is removed once mapped") {
    auto p = load_plugin(zoo("good"), default_load_options(detect_cpu_features()));
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = tmp && *tmp ? tmp : "/tmp";
    for (const auto& d : fs::directory_iterator(base)) {
        if (d.path().filename().string().rfind("engram-plugins-", 0) != 0) continue;
        for (const auto& f : fs::directory_iterator(d.path()))
            CHECK(f.path().filename().string().find(std::to_string(getpid()) + "-") != 0);
    }
}
