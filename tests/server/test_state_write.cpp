// The last-good config copy on a full disk, in a real engramd: an LD_PRELOAD
// shim (tests/faults/fail_fsync.c) makes fsync(2) or write(2) of the copy's
// temporary file fail with ENOSPC. The reload itself stands (the new set
// serves), the failure is visible in /v1/backends and /metrics, and the
// previous copy is intact byte for byte; once the disk "has room" again the
// next reload writes the copy and clears the error.
#include <signal.h>

#include <cstdlib>
#include <iterator>

#include "daemon.h"

using namespace engram;
using namespace engram::testing;

namespace {
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string metrics_text(const Daemon& d) {
    auto res = d.client()->Get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return res->body;
}

std::vector<std::string> fault_env(const fs::path& arm, const fs::path& log,
                                   const std::string& calls) {
    std::string asan = "verify_asan_link_order=0";  // the shim is preloaded before libasan
    if (const char* a = std::getenv("ASAN_OPTIONS"); a && *a) asan = std::string(a) + ":" + asan;
    return {"LD_PRELOAD=" ENGRAM_TEST_FAULT_SHIM, "ENGRAM_FAULT_PATH=*/engram.last-good.toml.tmp.*",
            "ENGRAM_FAULT_CALLS=" + calls,        "ENGRAM_FAULT_ARM=" + arm.string(),
            "ENGRAM_FAULT_LOG=" + log.string(),   "ASAN_OPTIONS=" + asan};
}
}  // namespace

TEST_CASE(
    "a last-good copy that hits ENOSPC: the reload serves, the error shows, the old copy is "
    "intact") {
    for (const std::string calls : {"fsync", "write"}) {
        DYNAMIC_SECTION("failing " << calls) {
            TempDir dir;
            const std::vector<std::pair<std::string, std::string>> ref{
                {"reference", plugin("reference")}};
            const std::vector<std::pair<std::string, std::string>> both{
                {"reference", plugin("reference")}, {"zoo_good", zoo("good")}};
            const std::string a = config_text(ref, "reference");
            const auto cfg = dir.write("engram.toml", a);
            const fs::path state = dir.path / "state", arm = dir.path / "arm",
                           log = dir.path / "faults.log";
            fs::create_directories(state);
            const fs::path copy = state / "engram.last-good.toml";

            Daemon d(cfg, dir.path, {"--state-dir", state.string()}, fault_env(arm, log, calls));
            REQUIRE(d.ready());
            // Start-up, disarmed: the copy is written.
            REQUIRE(read_all(copy) == a);
            json b = d.get("/v1/backends");
            CHECK(b["state_write_error"].is_null());
            CHECK_THAT(metrics_text(d), Catch::Contains("\nengram_state_write_failures_total 0\n"));

            // The disk fills up; a new config is reloaded.
            std::ofstream(arm) << "armed\n";
            const std::string next = config_text(both, "zoo_good");
            dir.write("engram.toml", next);
            int status = 0;
            const json r = d.post("/v1/admin/reload", "", &status);
            CHECK(status == 200);
            CHECK(r["ok"] == true);
            // The reload stands: the new set serves.
            b = d.get("/v1/backends");
            CHECK(b["generation"] == 2);
            CHECK(b["kernels"]["similarity"]["backend"] == "zoo_good");
            CHECK(b["reloads"]["last"]["ok"] == true);
            // ... and the failure is visible.
            REQUIRE(b["state_write_error"].is_string());
            const std::string why = b["state_write_error"];
            CHECK_THAT(why, Catch::Contains(calls + " '") &&
                                Catch::Contains("No space left on device") &&
                                Catch::Contains("engram.last-good.toml"));
            CHECK(b["state_write_error_at"].is_string());
            bool warned = false;
            for (const auto& w : b["reloads"]["last"]["warnings"])
                warned = warned || w.get<std::string>().rfind("E_RELOAD_STATE_WRITE: ", 0) == 0;
            CHECK(warned);
            CHECK_THAT(metrics_text(d), Catch::Contains("\nengram_state_write_failures_total 1\n"));
            CHECK_THAT(d.process().err(), Catch::Contains("code=E_RELOAD_STATE_WRITE"));
            // The fault really hit, and the previous copy is intact, byte for byte,
            // with no temporary left beside it.
            CHECK_THAT(read_all(log), Catch::StartsWith(calls + " " + state.string() +
                                                        "/engram.last-good.toml.tmp."));
            CHECK(read_all(copy) == a);
            int entries = 0;
            for ([[maybe_unused]] const auto& e : fs::directory_iterator(state)) ++entries;
            CHECK(entries == 1);

            // Room again: the next reload (same config) writes the copy, the error clears,
            // the counter keeps its history.
            fs::remove(arm);
            d.post("/v1/admin/reload", "", &status);
            CHECK(status == 200);
            b = d.get("/v1/backends");
            CHECK(b["state_write_error"].is_null());
            CHECK(read_all(copy) == next);
            CHECK_THAT(metrics_text(d), Catch::Contains("\nengram_state_write_failures_total 1\n"));

            d.process().signal(SIGTERM);
            CHECK(d.process().wait() == 0);
        }
    }
}
