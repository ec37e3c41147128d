// The reload storm: ENGRAM_RELOAD_STORM_COUNT (default 100) reloads
// alternating between two backends while client threads keep requesting.
// Not one request may fail and every answer must match the oracle.
#include <cstdlib>

#include "daemon.h"
#include "load_client.h"
#include "loader/plugin_loader.h"
#include "platform/cpu_features.h"

using namespace engram;
using namespace engram::testing;

namespace {
int storm_count() {
    const char* v = std::getenv("ENGRAM_RELOAD_STORM_COUNT");
    return v && *v ? std::max(1, std::atoi(v)) : 100;
}

// avx2 if it loads and self-tests here, else the zoo's good plugin.
std::pair<std::string, std::string> alternate_backend() {
    try {
        load_plugin(plugin("avx2"), default_load_options(usable_cpu_features()));
        return {"avx2", plugin("avx2")};
    } catch (const std::exception& e) {
        WARN("libengram_avx2.so not usable here (" << e.what()
                                                   << "): alternating with zoo_good instead");
        return {"zoo_good", zoo("good")};
    }
}
}  // namespace

TEST_CASE("reload storm under concurrent load: zero failed requests, every answer right") {
    TempDir dir;
    const StoreShape shape;
    const auto [alt_name, alt_path] = alternate_backend();
    const std::vector<std::pair<std::string, std::string>> plugins{
        {"reference", plugin("reference")}, {alt_name, alt_path}};
    const auto cfg = dir.write("engram.toml", config_text(plugins, "reference", shape));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const OracleCheck oracle(shape);
    LoadClients load(d, oracle, 2);

    const int n = storm_count();
    auto admin = d.client(120);
    uint64_t last_generation = 1;
    for (int i = 0; i < n; ++i) {
        const std::string backend = i % 2 == 0 ? alt_name : std::string("reference");
        dir.write("engram.toml", config_text(plugins, backend, shape));
        if (i % 10 == 9) {
            // Every tenth through SIGHUP, the way systemd's ExecReload does it.
            d.process().signal(SIGHUP);
            REQUIRE(eventually([&] {
                return d.get("/v1/backends")["generation"].get<uint64_t>() > last_generation;
            }));
        } else {
            auto res = admin->Post("/v1/admin/reload", "", "application/json");
            REQUIRE(res);
            INFO(res->body);
            REQUIRE(res->status == 200);
        }
        const json b = d.get("/v1/backends");
        CHECK(b["generation"].get<uint64_t>() == last_generation + 1);
        CHECK(b["kernels"]["similarity"]["backend"] ==
              (backend == "zoo_good" ? "zoo_good" : backend));
        last_generation = b["generation"].get<uint64_t>();
    }
    // Let the clients see the last generation too.
    const uint64_t before = load.ok();
    REQUIRE(eventually([&] { return load.ok() > before + 20; }));
    load.stop();

    const auto failures = load.failures();
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
    CHECK(load.ok() > 0);
    CHECK(load.backends().count("reference") == 1);
    CHECK(load.backends().count(alt_name) == 1);
    WARN(n << " reloads (" << alt_name << " <-> reference), " << load.ok()
           << " requests checked against the oracle");
    CHECK(last_generation == static_cast<uint64_t>(n) + 1);
    const json b = d.get("/v1/backends");
    CHECK(b["reloads"]["failed"] == 0);
    CHECK(b["reloads"]["ok"] == n);

    d.process().signal(SIGTERM);
    const int code = d.process().wait();
    if (code != 0) {  // e.g. 66: ThreadSanitizer found a race in engramd
        const std::string err = d.process().err();
        UNSCOPED_INFO(err.substr(err.size() > 30000 ? err.size() - 30000 : 0));
    }
    CHECK(code == 0);
}
