// A plugin whose kernels return ENGRAM_OK with a NaN or an infinity in the
// answer: the engine withholds it (E_KERNEL_NONFINITE, HTTP 502) and counts
// it in engram_kernel_nonfinite_total. The plugin is a fake Plugin around a
// table in this file, bound into a KernelSet directly: the loader's
// self-tests would refuse such a plugin before it ever served.
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "kernelset/kernel_set.h"
#include "loader/plugin.h"
#include "metrics/registry.h"
#include "server/http_status.h"

using namespace engram;

namespace {

constexpr const char* kName = "nonfinite_fake";

// What the fake kernels write, after an otherwise finite answer: `value` at
// `index` (none if index < 0). Tests run one at a time.
struct Poison {
    int64_t index = -1;
    float value = 0.0f;
};
Poison g_poison;

void poison(float* out, uint64_t n) {
    if (g_poison.index >= 0 && static_cast<uint64_t>(g_poison.index) < n)
        out[g_poison.index] = g_poison.value;
}

engram_status fake_similarity(const float*, const float*, const float*, uint64_t n, uint64_t,
                              float* scores, void*, uint64_t) {
    for (uint64_t i = 0; i < n; ++i) scores[i] = 0.5f / static_cast<float>(i + 1);
    poison(scores, n);
    return ENGRAM_OK;
}

engram_status fake_spread(const uint32_t*, const uint32_t*, const float*, uint64_t n,
                          const engram_spread_params*, float* activation, void*, uint64_t) {
    poison(activation, n);  // the seeds stay as they are otherwise
    return ENGRAM_OK;
}

engram_status fake_decay(const float* strength, const float*, const float*, float, uint64_t n,
                         float* out, void*, uint64_t) {
    for (uint64_t i = 0; i < n; ++i) out[i] = strength[i];
    poison(out, n);
    return ENGRAM_OK;
}

uint64_t no_scratch(engram_kernel_id, const engram_shape*) { return 0; }

class FakePlugin final : public Plugin {
  public:
    FakePlugin() {
        table_.struct_size = sizeof(engram_kernel_table);
        table_.abi_major = ENGRAM_ABI_MAJOR;
        table_.abi_minor = ENGRAM_ABI_MINOR;
        table_.name = kName;
        table_.version = "0.0.1";
        table_.build_id = "test";
        table_.required_cpu_features = 0;
        table_.similarity = fake_similarity;
        table_.spread = fake_spread;
        table_.decay = fake_decay;
        table_.scratch_bytes = no_scratch;
    }
    const std::filesystem::path& path() const override { return path_; }
    const engram_kernel_table& table() const override { return table_; }
    const std::string& sha256() const override { return sha_; }
    const std::optional<FileStamp>& file_stamp() const override { return stamp_; }

  private:
    engram_kernel_table table_{};
    std::filesystem::path path_ = "/nonexistent/libengram_nonfinite_fake.so";
    std::string sha_ = std::string(64, '0');
    std::optional<FileStamp> stamp_;
};

std::unique_ptr<Engine> fake_engine() {
    auto e = std::make_unique<Engine>(testing::tiny_store(1.7e9));
    auto p = std::make_shared<const FakePlugin>();
    e->install(std::make_shared<const KernelSet>(
        7, std::array<std::shared_ptr<const Plugin>, 3>{p, p, p},
        std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>>{{kName, p}},
        std::vector<KernelSet::Skipped>{}));
    return e;
}

uint64_t nonfinite_count(const char* kernel) {
    return metrics::Registry::global().kernel(kernel, kName).nonfinite.value();
}
uint64_t error_count(const char* kernel) {
    return metrics::Registry::global().kernel(kernel, kName).errors.value();
}

// Runs f, which must throw engram::Error; returns it.
template <class F>
Error error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no engram::Error thrown");
    return Error(ErrorCode::HttpInternal, "unreachable");
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST_CASE("a finite answer from the fake plugin is served and not counted") {
    g_poison = {};
    auto e = fake_engine();
    const uint64_t before = nonfinite_count("similarity");
    const float q[] = {1, 0};
    const auto a = e->find_similar(q, 2);
    CHECK(a.backend == kName);
    REQUIRE(a.items.size() == 2);
    CHECK(a.items[0].id == 0);
    CHECK(e->spread({{0}, 1, 0.5f, 0.01f, 4}).items.size() == 1);
    const uint32_t ids[] = {0, 3};
    CHECK(e->retention(ids, 1.7e9).items.size() == 2);
    CHECK(nonfinite_count("similarity") == before);
}

TEST_CASE("similarity returning NaN is E_KERNEL_NONFINITE, counted, and HTTP 502") {
    auto e = fake_engine();
    const uint64_t before = nonfinite_count("similarity");
    const uint64_t errors_before = error_count("similarity");
    const uint64_t calls_before = metrics::Registry::global().kernel("similarity", kName).calls();
    g_poison = {2, kNaN};  // the middle of 4
    const float q[] = {1, 0};
    const Error err = error_of([&] { e->find_similar(q, 1); });
    g_poison = {};
    CHECK(err.code() == ErrorCode::KernelNonFinite);
    CHECK(std::string(code_string(err.code())) == "E_KERNEL_NONFINITE");
    CHECK(std::string(err.what()) ==
          "similarity kernel of plugin 'nonfinite_fake' returned a non-finite value at index 2");
    CHECK(nonfinite_count("similarity") == before + 1);
    CHECK(error_count("similarity") == errors_before);  // the status was OK: not a kernel error
    CHECK(metrics::Registry::global().kernel("similarity", kName).calls() == calls_before + 1);
    CHECK(server::status_for(err.code()) == 502);
    CHECK_THAT(
        metrics::Registry::global().render(),
        Catch::Contains(
            "engram_kernel_nonfinite_total{kernel=\"similarity\",backend=\"nonfinite_fake\"} " +
            std::to_string(before + 1)));
}

TEST_CASE("spreading and decay: +Inf at the first and -Inf at the last index are refused too") {
    auto e = fake_engine();
    const uint64_t spread_before = nonfinite_count("spreading");
    const uint64_t decay_before = nonfinite_count("decay");

    g_poison = {0, kInf};
    Error err = error_of([&] { e->spread({{1}, 2, 0.5f, 0.01f, 4}); });
    CHECK(err.code() == ErrorCode::KernelNonFinite);
    CHECK(std::string(err.what()) ==
          "spreading kernel of plugin 'nonfinite_fake' returned a non-finite value at index 0");

    g_poison = {2, -kInf};  // 3 ids: the last
    const uint32_t ids[] = {0, 1, 3};
    err = error_of([&] { e->retention(ids, 1.7e9); });
    g_poison = {};
    CHECK(err.code() == ErrorCode::KernelNonFinite);
    CHECK(std::string(err.what()) ==
          "decay kernel of plugin 'nonfinite_fake' returned a non-finite value at index 2");

    CHECK(nonfinite_count("spreading") == spread_before + 1);
    CHECK(nonfinite_count("decay") == decay_before + 1);
    // The engine is unharmed: the next finite answer is served.
    CHECK(e->retention(ids, 1.7e9).items.size() == 3);
}

TEST_CASE("HTTP status of the kernel error codes") {
    CHECK(server::status_for(ErrorCode::KernelNonFinite) == 502);
    CHECK(server::status_for(ErrorCode::KernelFailed) == 500);
    CHECK(server::status_for(ErrorCode::BadRequest) == 422);
}
