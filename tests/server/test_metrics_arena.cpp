// Issue 5 end to end through a real engramd: each arena overflow policy on a
// request that needs more scratch than the arena holds, /v1/arena, and
// /metrics (valid per promtool, counters moving as the requests should move
// them).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>

#include "daemon.h"

using namespace engram::testing;

namespace {
// 2000 memories: a similarity request needs 2000 floats (8000 bytes) of
// scores from the arena; a one-id retention request needs 256 bytes.
std::string arena_config(const std::string& size, const std::string& policy) {
    return config_text({{"reference", plugin("reference")}}, "reference") + "[arena]\nsize = \"" +
           size + "\"\noverflow = \"" + policy + "\"\n";
}

std::string similar_body() {
    std::string v = "[";
    for (int i = 0; i < 64; ++i) v += (i ? "," : "") + std::to_string((i % 7) - 3);
    return "{\"vector\":" + v + "],\"k\":5}";
}

// The value of one sample line of the exposition, or -1.
double sample(const std::string& text, const std::string& series) {
    const auto pos = text.find("\n" + series + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(text.substr(pos + series.size() + 2));
}

std::string metrics_text(const Daemon& d) {
    auto res = d.client()->Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK_THAT(res->get_header_value("Content-Type"), Catch::Contains("text/plain"));
    return res->body;
}
}  // namespace

TEST_CASE("arena policy error: only the overflowing request fails, with 507 E_ARENA_OVERFLOW") {
    TempDir dir;
    const auto cfg = dir.write("engram.toml", arena_config("4KiB", "error"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    int status = 0;
    auto j = d.post("/v1/similar", similar_body(), &status);
    CHECK(status == 507);
    CHECK(j["error"]["code"] == "E_ARENA_OVERFLOW");
    CHECK_THAT(j["error"]["message"].get<std::string>(), Catch::Contains("4096"));
    j = d.post("/v1/retention", "{\"ids\":[1],\"now\":0}", &status);
    CHECK(status == 200);  // a request that fits is served
    const auto arena = d.get("/v1/arena");
    CHECK(arena["size_bytes"] == 4096);
    CHECK(arena["overflow_policy"] == "error");
    CHECK(arena["overflows"] == 1);
    const std::string m = metrics_text(d);
    CHECK(sample(m, "engram_arena_overflows_total") == 1);
    CHECK(sample(m, "engram_arena_size_bytes") == 4096);
}

TEST_CASE("arena policy fallback serves from the heap, counts, and a reload applies a new size") {
    TempDir dir;
    const auto cfg = dir.write("engram.toml", arena_config("4KiB", "fallback"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    int status = 0;
    const auto first = d.post("/v1/similar", similar_body(), &status);
    REQUIRE(status == 200);
    CHECK(d.get("/v1/arena")["overflows"] == 1);

    dir.write("engram.toml", arena_config("1MiB", "fallback"));
    d.post("/v1/admin/reload", "", &status);
    REQUIRE(status == 200);
    const auto second = d.post("/v1/similar", similar_body(), &status);
    REQUIRE(status == 200);
    // Same answer from the heap as from the arena: never zeros in place of a result.
    CHECK(first["results"] == second["results"]);
    const auto arena = d.get("/v1/arena");
    CHECK(arena["size_bytes"] == 1048576);
    CHECK(arena["overflows"] == 1);
    CHECK(arena["high_water_bytes"].get<uint64_t>() >= 8000);
}

TEST_CASE("arena policy panic aborts the process naming the size needed") {
    TempDir dir;
    const auto cfg = dir.write("engram.toml", arena_config("4KiB", "panic"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    auto c = d.client(10);
    c->Post("/v1/similar", similar_body(),
            "application/json");  // the connection dies with the process
    CHECK(d.process().wait(std::chrono::seconds(30)) == 128 + SIGABRT);
    CHECK_THAT(d.process().err(), Catch::Contains("E_ARENA_OVERFLOW") && Catch::Contains("8000") &&
                                      Catch::Contains("4096"));
}

TEST_CASE("ENGRAM_ARENA_OVERFLOW overrides TOML; an invalid value stops startup") {
    TempDir dir;
    const auto cfg = dir.write("engram.toml", arena_config("4KiB", "error"));
    {
        Daemon d(cfg, dir.path, {}, {"ENGRAM_ARENA_OVERFLOW=fallback"});
        REQUIRE(d.ready());
        int status = 0;
        d.post("/v1/similar", similar_body(), &status);
        CHECK(status == 200);
        CHECK(d.get("/v1/arena")["overflow_policy"] == "fallback");
    }
    const auto r = run({kEngramd, "--check-config", cfg.string()}, dir.path);
    CHECK(r.code == 0);
    Child bad({kEngramd, "--check-config", cfg.string()}, dir.path, {"ENGRAM_ARENA_SIZE=lots"});
    CHECK(bad.wait() == 1);
    CHECK_THAT(bad.err(), Catch::Contains("E_ENV_INVALID") && Catch::Contains("ENGRAM_ARENA_SIZE"));
}

TEST_CASE("/metrics is valid exposition and its counters move with the requests") {
    TempDir dir;
    const auto cfg = dir.write("engram.toml", arena_config("1MiB", "error"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const std::string before = metrics_text(d);
    const std::string calls =
        "engram_kernel_calls_total{kernel=\"similarity\",backend=\"reference\"}";
    const double calls0 = std::max(0.0, sample(before, calls));
    for (int i = 0; i < 3; ++i) d.post("/v1/similar", similar_body());
    int status = 0;
    d.post("/v1/similar", "{\"vector\":[1],\"k\":5}", &status);  // wrong dimension: no kernel call
    CHECK(status == 422);
    d.post("/v1/admin/reload", "", &status);
    CHECK(status == 200);

    const std::string m = metrics_text(d);
    CHECK(sample(m, calls) == calls0 + 3);
    CHECK(
        sample(
            m,
            "engram_kernel_duration_seconds_count{kernel=\"similarity\",backend=\"reference\"}") ==
        calls0 + 3);
    CHECK(sample(m, "engram_http_requests_total{route=\"/v1/similar\",code=\"200\"}") == 3);
    CHECK(sample(m, "engram_http_requests_total{route=\"/v1/similar\",code=\"422\"}") == 1);
    CHECK(sample(m, "engram_reloads_total{result=\"ok\"}") == 1);
    CHECK(sample(m, "engram_config_generation") == 2);
    CHECK_THAT(m,
               Catch::Contains(
                   "engram_backend_info{kernel=\"decay\",backend=\"reference\",version=\"1.0.0\""));
    CHECK(sample(m, "engram_http_request_duration_seconds_count{route=\"/v1/similar\"}") == 4);

    // promtool's own linter over the live output.
    const auto file = dir.write("metrics.txt", m);
    const auto r = run({"/bin/sh", "-c", "promtool check metrics < " + file.string()}, dir.path);
    INFO(r.out + r.err);
    CHECK(r.code == 0);
}
