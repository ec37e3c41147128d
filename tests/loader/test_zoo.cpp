// Every deliberately broken plugin is refused with its own stable code and a
// message naming the file; good ones load.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "common/error.h"
#include "loader/negotiate.h"
#include "loader/plugin_loader.h"
#include "loader/private_copy.h"
#include "platform/cpu_features.h"
#include "zoo_paths.h"

using namespace engram;

namespace {
LoadOptions opts() {
    LoadOptions o = default_load_options(detect_cpu_features());
    // Generous: natively a good plugin's validation takes well under a
    // second, but under qemu-aarch64 (tools/test-aarch64.sh), on a busy
    // machine, the deep self-test alone takes several seconds.
    o.child->timeout_seconds = 60;
    return o;
}

// The hang case only: short, so the test does not wait long for the kill.
LoadOptions hang_opts() {
    LoadOptions o = opts();
    o.child->timeout_seconds = 3;
    return o;
}

bool private_dir_empty() { return std::filesystem::is_empty(private_copy_dir()); }

void expect_refused(const std::string& file, ErrorCode code, const std::string& reason_part,
                    const LoadOptions& o = opts()) {
    INFO(file);
    try {
        load_plugin(file, o);
        FAIL("plugin was accepted");
    } catch (const Error& e) {
        CHECK(code_string(e.code()) == code_string(code));
        CHECK_THAT(e.what(), Catch::Contains(file));
        CHECK_THAT(e.what(), Catch::Contains(reason_part));
    }
    // Nothing left behind: the private copy of a refused plugin is gone.
    CHECK(private_dir_empty());
}
}  // namespace

TEST_CASE("the reference plugin and a good zoo plugin load and self-test") {
    auto ref = load_plugin(built_plugin("reference"), opts());
    CHECK(std::string(ref->name()) == "reference");
    CHECK(ref->table().abi_major == ENGRAM_ABI_MAJOR);
    CHECK(ref->sha256().size() == 64);
    auto good = load_plugin(zoo("good"), opts());
    CHECK(std::string(good->name()) == "zoo_good");
    CHECK(good->path() == zoo("good"));
}

TEST_CASE("each broken plugin is refused with its own code") {
    expect_refused(zoo("does_not_exist"), ErrorCode::PluginNotFound, "No such file");
    expect_refused(zoo("not_elf"), ErrorCode::PluginFileInvalid, "shorter than an ELF header");
    expect_refused(zoo("truncated"), ErrorCode::PluginFileInvalid, "truncated");
    expect_refused(zoo("no_entry"), ErrorCode::PluginNoEntry, "engram_kernel_plugin_entry");
    expect_refused(zoo("null_table"), ErrorCode::PluginNullTable, "null table");
    expect_refused(zoo("wrong_major"), ErrorCode::AbiMajorMismatch,
                   "plugin ABI 2." + std::to_string(ENGRAM_ABI_MINOR));
    expect_refused(zoo("struct_too_small"), ErrorCode::AbiStructSize, "struct_size");
    expect_refused(zoo("null_kernel"), ErrorCode::AbiNullPointer, "'similarity' is null");
    expect_refused(zoo("bad_name"), ErrorCode::AbiBadName, "Bad Name!");
    expect_refused(zoo("long_name"), ErrorCode::AbiBadName, "longer than 64 characters");
    expect_refused(zoo("cpu_feature"), ErrorCode::CpuFeatureMissing, "needs CPU features");
    expect_refused(zoo("wrong_numerics"), ErrorCode::SelfTestNumerics, "similarity");
    // ABI 1.1: a wrong compressed kernel is caught on its own.
    expect_refused(zoo("wrong_int8"), ErrorCode::SelfTestNumerics, "similarity_int8");
    LoadOptions in_process = opts();  // the quick self-test alone catches it too
    in_process.child.reset();
    expect_refused(zoo("wrong_int8"), ErrorCode::SelfTestNumerics, "similarity_int8", in_process);
    // ABI 1.2: so is a wrong spread_push, beside a right spread.
    expect_refused(zoo("wrong_push"), ErrorCode::SelfTestNumerics, "spread_push");
    expect_refused(zoo("wrong_push"), ErrorCode::SelfTestNumerics, "spread_push", in_process);
    expect_refused(zoo("error_status"), ErrorCode::SelfTestStatus, "decay");
}

TEST_CASE("untrusted plugin code is proved in a child: every misbehaviour has its code") {
    // Right on the tiny canaries, wrong at realistic sizes.
    expect_refused(zoo("wrong_large"), ErrorCode::SelfTestNumerics, "similarity(n=65");
    expect_refused(zoo("nan"), ErrorCode::SelfTestNonFinite, "nan");
    expect_refused(zoo("reject_zero_scalar"), ErrorCode::SelfTestStatus, "stability_scalar=0");
    // Code that would have taken the host down, had it run here.
    expect_refused(zoo("crash"), ErrorCode::SelfTestCrashed, "SIGSEGV");
    expect_refused(zoo("crash_large"), ErrorCode::SelfTestCrashed, "SIGSEGV");
    expect_refused(zoo("ctor_crash"), ErrorCode::SelfTestCrashed, "SIGSEGV");
    expect_refused(zoo("abort"), ErrorCode::SelfTestCrashed, "SIGABRT");
    expect_refused(zoo("exit"), ErrorCode::SelfTestExited, "exit status 0");
    expect_refused(zoo("hang"), ErrorCode::SelfTestTimeout, "within 3 s", hang_opts());
    expect_refused(zoo("out_of_bounds"), ErrorCode::SelfTestOutOfBounds,
                   "the page right after its output");
    expect_refused(zoo("store_writer"), ErrorCode::SelfTestCrashed, "read-only input");
    expect_refused(zoo("leak"), ErrorCode::SelfTestLeak, "grew memory");
}

namespace {
// Live (not zombie) processes whose command line mentions `needle`.
int live_processes_mentioning(const std::string& needle) {
    int found = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream cmd(e.path() / "cmdline");
        std::string line((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
        if (line.find(needle) != std::string::npos) ++found;  // a zombie's cmdline is empty
    }
    return found;
}
}  // namespace

TEST_CASE("a plugin that forks a lingering process is refused on time and leaves none behind") {
    // The fork inherits the result pipe: the host must neither wait for its
    // EOF nor let the process live on after the verdict.
    const auto start = std::chrono::steady_clock::now();
    expect_refused(zoo("fork"), ErrorCode::SelfTestStrayProcess, "still running");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
    // SIGKILL is delivered asynchronously: give the kill a moment to land.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (live_processes_mentioning("libengram_zoo_fork.so") > 0 &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(live_processes_mentioning("libengram_zoo_fork.so") == 0);
}

TEST_CASE("a table that calls itself by another name than its key is refused") {
    LoadOptions o = opts();
    o.expected_name = "zoo_impostor";
    expect_refused(zoo("impostor"), ErrorCode::PluginNameMismatch, "calls itself 'reference'", o);
    o.expected_name = "zoo_good";
    CHECK(load_plugin(zoo("good"), o));
}

TEST_CASE("a newer minor of ABI 1 is accepted and its unknown tail ignored") {
    auto p = load_plugin(zoo("newer_minor"), opts());
    CHECK(p->table().abi_minor == ENGRAM_ABI_MINOR + 3);
    CHECK(p->table().struct_size > sizeof(engram_kernel_table));
    // The 1.1 fields it shares with this host are read (and passed the deep
    // self-test in the child, which runs the compressed plan when offered).
    CHECK(p->table().similarity_bf16 != nullptr);
    CHECK(p->table().similarity_int8 != nullptr);
    CHECK(p->table().spread_push != nullptr);  // and the 1.2 field
}

TEST_CASE("ABI 1.1 and 1.2: the table prefixes, and negotiation copies only what the plugin has") {
    STATIC_REQUIRE(ENGRAM_ABI_MINOR == 2);
    STATIC_REQUIRE(ENGRAM_KERNEL_TABLE_V1_2_SIZE == sizeof(engram_kernel_table));
    STATIC_REQUIRE(ENGRAM_KERNEL_TABLE_V1_2_SIZE == ENGRAM_KERNEL_TABLE_V1_1_SIZE + sizeof(void*));
    STATIC_REQUIRE(offsetof(engram_kernel_table, spread_push) == ENGRAM_KERNEL_TABLE_V1_1_SIZE);
    STATIC_REQUIRE(ENGRAM_KERNEL_TABLE_V1_1_SIZE ==
                   ENGRAM_KERNEL_TABLE_V1_0_SIZE + 2 * sizeof(void*));
    STATIC_REQUIRE(offsetof(engram_kernel_table, similarity_bf16) == ENGRAM_KERNEL_TABLE_V1_0_SIZE);
    // A 1.0 table followed by bytes that are not part of it: the 1.1 fields
    // must come out NULL, never from the bytes after the plugin's struct.
    auto good = load_plugin(built_plugin("reference"), opts());
    alignas(engram_kernel_table) unsigned char raw[sizeof(engram_kernel_table) + 64];
    std::memset(raw, 0xAB, sizeof raw);
    engram_kernel_table v10 = good->table();
    v10.struct_size = ENGRAM_KERNEL_TABLE_V1_0_SIZE;
    v10.abi_minor = 0;
    std::memcpy(raw, &v10, ENGRAM_KERNEL_TABLE_V1_0_SIZE);
    const engram_kernel_table t =
        negotiate_table(reinterpret_cast<const engram_kernel_table*>(raw), "v10.so");
    CHECK(t.similarity_bf16 == nullptr);
    CHECK(t.similarity_int8 == nullptr);
    CHECK(t.similarity == good->table().similarity);
    CHECK(t.scratch_bytes == good->table().scratch_bytes);
    // A struct_size that ends inside the bf16 pointer: neither 1.1 field is
    // taken (half a pointer is no pointer); one that ends after bf16 only
    // gives bf16.
    engram_kernel_table v11 = good->table();
    v11.struct_size = ENGRAM_KERNEL_TABLE_V1_0_SIZE + 4;
    std::memcpy(raw, &v11, sizeof v11);
    const engram_kernel_table cut =
        negotiate_table(reinterpret_cast<const engram_kernel_table*>(raw), "cut.so");
    CHECK(cut.similarity_bf16 == nullptr);
    CHECK(cut.similarity_int8 == nullptr);
    v11.struct_size = ENGRAM_KERNEL_TABLE_V1_0_SIZE + sizeof(void*);
    std::memcpy(raw, &v11, sizeof v11);
    const engram_kernel_table half =
        negotiate_table(reinterpret_cast<const engram_kernel_table*>(raw), "half.so");
    CHECK(half.similarity_bf16 == good->table().similarity_bf16);
    CHECK(half.similarity_int8 == nullptr);
    CHECK(half.spread_push == nullptr);
    // A 1.1 table (the 1.1 prefix, then foreign bytes): spread_push NULL, the
    // host calls spread for it; a struct_size ending inside the 1.2 pointer
    // gives no spread_push either.
    engram_kernel_table v12 = good->table();
    v12.struct_size = ENGRAM_KERNEL_TABLE_V1_1_SIZE;
    std::memcpy(raw, &v12, ENGRAM_KERNEL_TABLE_V1_1_SIZE);
    const engram_kernel_table as11 =
        negotiate_table(reinterpret_cast<const engram_kernel_table*>(raw), "v11.so");
    CHECK(as11.similarity_int8 == good->table().similarity_int8);
    CHECK(as11.spread_push == nullptr);
    v12.struct_size = ENGRAM_KERNEL_TABLE_V1_1_SIZE + 4;
    std::memcpy(raw, &v12, sizeof v12);
    CHECK(negotiate_table(reinterpret_cast<const engram_kernel_table*>(raw), "cut12.so")
              .spread_push == nullptr);
    // The reference plugin itself is 1.2 and offers all three.
    CHECK(good->table().abi_minor == 2);
    CHECK(good->table().similarity_bf16 != nullptr);
    CHECK(good->table().similarity_int8 != nullptr);
    CHECK(good->table().spread_push != nullptr);
}

#if defined(ENGRAM_TEST_SDK_FIXTURE_DIR)
TEST_CASE("the frozen ABI 1.0 fixture loads, its 1.1 fields NULL") {
    auto p = load_plugin(ENGRAM_TEST_SDK_FIXTURE_DIR "/libengram_abi_v1_0.so", opts());
    CHECK(p->table().abi_minor == 0);
    CHECK(p->table().struct_size == ENGRAM_KERNEL_TABLE_V1_0_SIZE);
    CHECK(p->table().similarity_bf16 == nullptr);
    CHECK(p->table().similarity_int8 == nullptr);
}
#endif

TEST_CASE("masking the feature a plugin needs refuses it; unmasked it loads") {
    LoadOptions o = opts();
    o.usable_cpu_features = 0;
    auto ref = load_plugin(built_plugin("reference"), o);  // needs nothing
    CHECK(ref);
#if defined(__x86_64__)
    if (detect_cpu_features() & ENGRAM_CPU_AVX2) {
        const auto avx2 = built_plugin("avx2");
        if (std::filesystem::exists(avx2)) {
            o.usable_cpu_features = detect_cpu_features() & ~uint64_t(ENGRAM_CPU_AVX2);
            CHECK_THROWS_AS(load_plugin(avx2, o), Error);
            CHECK(load_plugin(avx2, opts()));
        }
    }
#endif
}
