// Defaults serve what the API promises: POST /v1/retention accepts up to
// 1,000,000 ids, so the shipped config's arena (and the built-in default)
// must serve such a request under the default overflow policy (error).
#include <catch2/catch.hpp>
#include <numeric>

#include "arena/arena.h"
#include "config/config.h"
#include "engine_fixture.h"

using namespace engram;
using namespace engram::testing;

namespace {
void check_million_ids(const ArenaConfig& arena) {
    const ArenaSettings settings = resolve_arena_settings(arena);
    REQUIRE(settings.policy == OverflowPolicy::Error);
    configure_arenas(settings);
    const double now = 1'795'860'000.0;
    Engine engine(tiny_store(now));
    engine.install(build_kernel_set(reference_config(), detect_cpu_features(), 1, nullptr));
    std::vector<uint32_t> ids(1'000'000);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint32_t>(i % 4);
    const KernelAnswer a = engine.retention(ids, now);
    REQUIRE(a.items.size() == ids.size());
    CHECK(a.items[1'000'000 - 1].id == 3);
    CHECK(arena_stats().overflows == 0);
    CHECK(arena_stats().high_water_bytes >= 16'000'000);
}
}  // namespace

TEST_CASE("a 1,000,000-id retention request is served by the shipped config's arena") {
    const Config shipped = load_config(ENGRAM_TEST_SOURCE_DIR "/config/engram.toml");
    CHECK(shipped.arena.size == kDefaultArenaSize);
    CHECK(shipped.arena.overflow == "error");
    check_million_ids(shipped.arena);
}

TEST_CASE("a 1,000,000-id retention request is served by the built-in default arena") {
    check_million_ids(ArenaConfig{});
    configure_arenas(ArenaSettings{});
}
