#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "engine_fixture.h"

using namespace engram;
using namespace engram::testing;

namespace {
std::vector<std::string> codes_of(const Config& c, const KernelSet* prev = nullptr) {
    try {
        build_kernel_set(c, detect_cpu_features(), 2, prev);
    } catch (const ErrorList& e) {
        std::vector<std::string> out;
        for (const auto& err : e.errors()) out.emplace_back(code_string(err.code()));
        return out;
    }
    return {};
}
}  // namespace

TEST_CASE("auto skips a plugin this CPU cannot run and lands on the next") {
    Config c = reference_config();
    c.plugins["zoo_cpu_feature"] = zoo_path("cpu_feature");
    c.backends.priority = {"zoo_cpu_feature", "reference"};
    auto set = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    CHECK(std::string(set->backend(Kernel::Similarity).name()) == "reference");
    REQUIRE(set->skipped().size() == 1);
    CHECK(set->skipped()[0].plugin == "zoo_cpu_feature");
    CHECK(set->skipped()[0].reason.code() == ErrorCode::CpuFeatureMissing);
}

TEST_CASE("a pinned backend that cannot run here is an error") {
    Config c = reference_config();
    c.plugins["zoo_cpu_feature"] = zoo_path("cpu_feature");
    c.backends.decay = "zoo_cpu_feature";
    CHECK(codes_of(c) == std::vector<std::string>{"E_CPU_FEATURE"});
}

TEST_CASE("per-kernel override: decay on one plugin, the rest on another") {
    Config c = reference_config();
    c.plugins["zoo_good"] = zoo_path("good");
    c.backends.priority = {"reference"};
    c.backends.decay = "zoo_good";
    auto set = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    CHECK(std::string(set->backend(Kernel::Similarity).name()) == "reference");
    CHECK(std::string(set->backend(Kernel::Decay).name()) == "zoo_good");
}

TEST_CASE("a listed plugin that is broken or missing fails the whole set") {
    Config c = reference_config();
    c.plugins["zoo_wrong_numerics"] = zoo_path("wrong_numerics");
    CHECK(codes_of(c) == std::vector<std::string>{"E_SELFTEST_NUMERICS"});
    c.plugins["zoo_wrong_numerics"] = zoo_path("missing");
    CHECK(codes_of(c) == std::vector<std::string>{"E_PLUGIN_NOT_FOUND"});
    Config d = reference_config();
    d.backends.spreading = "nosuch";
    CHECK(codes_of(d) == std::vector<std::string>{"E_BACKEND_UNKNOWN"});
    Config e = reference_config();
    e.backends.priority = {"avx9"};
    CHECK(codes_of(e) == std::vector<std::string>{"E_NO_BACKEND"});
}

TEST_CASE("an unchanged plugin is reused across generations, a changed one reloaded") {
    Config c = reference_config();
    auto g1 = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    auto g2 = build_kernel_set(c, detect_cpu_features(), 2, g1.get());
    CHECK(&g1->backend(Kernel::Similarity) == &g2->backend(Kernel::Similarity));
    CHECK(g2->generation() == 2);
}

TEST_CASE("reuse follows the file's bytes: in-place rewrite reloads, a touch alone does not") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("engram-reuse-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / "libplugin.so";
    fs::copy_file(zoo_path("good"), file, fs::copy_options::overwrite_existing);
    Config c;
    c.plugins["zoo_good"] = file;
    c.backends.priority = {"zoo_good"};

    auto g1 = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    auto g2 = build_kernel_set(c, detect_cpu_features(), 2, g1.get());
    CHECK(&g2->backend(Kernel::Similarity) ==
          &g1->backend(Kernel::Similarity));  // untouched: reused

    {  // Same path, same inode, new bytes: the stamp changes, the hash decides.
        std::ifstream in(zoo_path("good_v2"), std::ios::binary);
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << in.rdbuf();
    }
    auto g3 = build_kernel_set(c, detect_cpu_features(), 3, g2.get());
    CHECK(&g3->backend(Kernel::Similarity) != &g2->backend(Kernel::Similarity));
    CHECK(g3->backend(Kernel::Similarity).sha256() != g2->backend(Kernel::Similarity).sha256());
    CHECK(std::string(g3->backend(Kernel::Similarity).version()) !=
          std::string(g2->backend(Kernel::Similarity).version()));

    // Only the times change: the stamp differs, the bytes do not, so reused.
    fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
    auto g4 = build_kernel_set(c, detect_cpu_features(), 4, g3.get());
    CHECK(&g4->backend(Kernel::Similarity) == &g3->backend(Kernel::Similarity));
    fs::remove_all(dir);
}
