// Progressive delivery with a real engramd and two clients checking every
// answer against the oracle: a plugin that passes validation but is wrong
// on the served store is caught in shadow and never serves; a plugin twice
// as slow is rolled back at the first canary step; a good plugin promotes
// through every step (and stays promoted across a SIGHUP); the watchdog
// undoes a bad plain swap by itself.
#include <signal.h>

#include "daemon.h"
#include "load_client.h"

using namespace engram;
using namespace engram::testing;

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// reference serves every kernel; `candidate` (a zoo plugin) is listed too.
std::string config(const std::string& candidate, const StoreShape& shape,
                   const std::string& rollout, const std::string& similarity = "reference") {
    std::string t = "[plugins]\nreference = " + quoted(plugin("reference")) + "\n";
    t += "zoo_" + candidate + " = " + quoted(zoo(candidate)) + "\n";
    t += "[backends]\nsimilarity = " + quoted(similarity) +
         "\nspreading = \"reference\"\ndecay = \"reference\"\npriority = [\"reference\"]\n";
    t += "[store]\nmemories = " + std::to_string(shape.memories) +
         "\ndim = " + std::to_string(shape.dim) +
         "\navg_in_degree = " + std::to_string(shape.degree) +
         "\nseed = " + std::to_string(shape.seed) + "\n";
    t += "[server]\nthreads = 4\n" + rollout;
    return t;
}

json rollout_of(const Daemon& d) { return d.get("/v1/rollouts")["rollouts"]["similarity"]; }

std::string metric_line(const Daemon& d, const std::string& prefix) {
    auto res = d.client()->Get("/metrics");
    REQUIRE(res);
    std::istringstream in(res->body);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return line;
    return "";
}

bool only_validated(const LoadClients& load, const std::set<std::string>& allowed) {
    for (const auto& b : load.backends())
        if (!allowed.count(b)) return false;
    return true;
}

}  // namespace

TEST_CASE("shadow: a plugin wrong only on the served store is caught and never serves") {
    TempDir dir;
    const StoreShape shape{6000, 64, 4, 11};  // more memories than validation ever tries
    const auto cfg =
        dir.write("engram.toml", config("wrong_huge_n", shape,
                                        "[rollout.similarity]\ncandidate = \"zoo_wrong_huge_n\"\n"
                                        "mode = \"shadow\"\nshadow_sample = 0.5\n"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());  // it passed validation in the child
    const OracleCheck oracle{shape};
    LoadClients load(d, oracle, 2);
    REQUIRE(eventually([&] { return rollout_of(d)["phase"] == "rolled_back"; }));
    const json r = rollout_of(d);
    CHECK_THAT(r["reason"].get<std::string>(), Catch::Contains("mismatch"));
    const json all = d.get("/v1/rollouts");
    REQUIRE_FALSE(all["mismatches"].empty());
    CHECK(all["mismatches"][0]["candidate"] == "zoo_wrong_huge_n");
    CHECK(all["mismatches"][0]["input_digest"].get<std::string>().size() == 16);
    CHECK_THAT(all["mismatches"][0]["difference"].get<std::string>(), Catch::Contains("differ"));
    CHECK(d.get("/v1/backends")["kernels"]["similarity"]["backend"] == "reference");
    CHECK(
        metric_line(d, "engram_auto_rollbacks_total{kernel=\"similarity\",reason=\"mismatch\"}") ==
        "engram_auto_rollbacks_total{kernel=\"similarity\",reason=\"mismatch\"} 1");
    // Rolled back: it is not run any more, and the answers stay right.
    const uint64_t ok = load.ok();
    REQUIRE(eventually([&] { return load.ok() > ok + 20; }));
    load.stop();
    for (const auto& f : load.failures()) UNSCOPED_INFO(f);
    CHECK(load.failures().empty());
    CHECK(only_validated(load, {"reference"}));
    // The operator can still see why, and promote cannot revive it.
    CHECK(run({kEngramctl, "--url", d.url(), "rollout", "status"}, dir.path)
              .out.find("rolled_back") != std::string::npos);
    CHECK(run({kEngramctl, "--url", d.url(), "rollout", "promote", "--kernel", "similarity"},
              dir.path)
              .code == 1);
    CHECK(run({kEngramctl, "--url", d.url(), "rollout", "wait", "--kernel", "similarity"}, dir.path)
              .code == 1);
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
}

TEST_CASE("canary: a plugin twice as slow is rolled back at the first step") {
    TempDir dir;
    const StoreShape shape{8000, 128, 4, 11};
    const auto cfg = dir.write(
        "engram.toml", config("slow", shape,
                              "[rollout.similarity]\ncandidate = \"zoo_slow\"\nmode = \"canary\"\n"
                              "steps = [25, 50, 100]\nstep_requests = 60\nstep_seconds = 0.2\n"
                              "shadow_sample = 0.0\nmax_latency_ratio = 1.5\n"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const OracleCheck oracle{shape};
    LoadClients load(d, oracle, 2);
    REQUIRE(eventually([&] { return rollout_of(d)["phase"] == "rolled_back"; },
                       std::chrono::seconds(60)));
    const json r = rollout_of(d);
    INFO(r.dump(2));
    CHECK_THAT(r["reason"].get<std::string>(), Catch::Contains("latency"));
    CHECK(r["step"] == 0);  // the first step
    CHECK_THAT(r["history"].back().get<std::string>(), Catch::Contains("canary step 25%"));
    CHECK(d.get("/v1/backends")["kernels"]["similarity"]["backend"] == "reference");
    load.stop();
    CHECK(load.failures().empty());
    CHECK(only_validated(load, {"reference", "zoo_slow"}));
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
}

TEST_CASE("canary: a good plugin promotes through every step and stays promoted across a reload") {
    TempDir dir;
    const StoreShape shape{};
    const auto cfg =
        dir.write("engram.toml",
                  config("good", shape,
                         "[rollout.similarity]\ncandidate = \"zoo_good\"\nmode = \"canary\"\n"
                         "steps = [20, 50, 100]\nstep_requests = 40\nstep_seconds = 0.2\n"
                         "shadow_sample = 0.3\nmin_comparisons = 5\nmax_latency_ratio = 20\n"));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const OracleCheck oracle{shape};
    LoadClients load(d, oracle, 2);
    const Run waited =
        run({kEngramctl, "--url", d.url(), "rollout", "wait", "--wait-seconds", "60"}, dir.path);
    INFO(waited.out << waited.err);
    CHECK(waited.code == 0);
    const json r = rollout_of(d);
    CHECK(r["phase"] == "promoted");
    int passed = 0;
    for (const auto& h : r["history"])
        passed += h.get<std::string>().find("passed") != std::string::npos;
    CHECK(passed == 3);
    const json b = d.get("/v1/backends");
    CHECK(b["kernels"]["similarity"]["backend"] == "zoo_good");
    CHECK(b["kernels"]["spreading"]["backend"] == "reference");
    CHECK(b["generation"] == 2);  // the promotion is a generation of its own
    // Same TOML, SIGHUP: the rollout is the same, so it stays promoted.
    REQUIRE(run({kEngramctl, "--url", d.url(), "reload"}, dir.path).code == 0);
    CHECK(d.get("/v1/backends")["kernels"]["similarity"]["backend"] == "zoo_good");
    const uint64_t ok = load.ok();
    REQUIRE(eventually([&] { return load.ok() > ok + 20; }));
    load.stop();
    for (const auto& f : load.failures()) UNSCOPED_INFO(f);
    CHECK(load.failures().empty());
    CHECK(only_validated(load, {"reference", "zoo_good"}));
    CHECK(load.backends().count("zoo_good") == 1);
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
}

TEST_CASE("watchdog: a bad plain swap is rolled back by the host itself") {
    TempDir dir;
    const StoreShape shape{6000, 64, 4, 11};
    const std::string watchdog =
        "[watchdog]\nwindow_seconds = 30\nmin_calls = 10\nmax_error_rate = 0.05\n";
    const auto cfg = dir.write("engram.toml", config("error_huge_n", shape, watchdog));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const OracleCheck oracle{shape};
    LoadClients load(d, oracle, 2);
    REQUIRE(eventually([&] { return load.ok() > 20; }));
    // The operator swaps similarity to a plugin that fails on this store.
    dir.write("engram.toml", config("error_huge_n", shape, watchdog, "zoo_error_huge_n"));
    REQUIRE(run({kEngramctl, "--url", d.url(), "reload"}, dir.path).code == 0);
    REQUIRE(eventually([&] { return !d.get("/v1/backends")["auto_rollbacks"].empty(); }));
    const json b = d.get("/v1/backends");
    CHECK(b["kernels"]["similarity"]["backend"] == "reference");
    CHECK(b["auto_rollbacks"][0]["reason"] == "errors");
    CHECK(b["auto_rollbacks"][0]["from"] == "zoo_error_huge_n");
    CHECK(b["generation"] == 3);  // 1 start, 2 the swap, 3 the rollback
    CHECK(metric_line(d, "engram_auto_rollbacks_total{kernel=\"similarity\",reason=\"errors\"}") ==
          "engram_auto_rollbacks_total{kernel=\"similarity\",reason=\"errors\"} 1");
    // After the rollback every request succeeds again.
    load.stop();
    const size_t failed_during_swap = load.failures().size();
    CHECK(failed_during_swap > 0);  // the swap really was bad
    LoadClients after(d, oracle, 2);
    REQUIRE(eventually([&] { return after.ok() > 40; }));
    after.stop();
    CHECK(after.failures().empty());
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
}

TEST_CASE("watchdog: switched off, a bad plain swap stays (the operator's call)") {
    TempDir dir;
    const StoreShape shape{6000, 64, 4, 11};
    const std::string off = "[watchdog]\nenabled = false\n";
    const auto cfg = dir.write("engram.toml", config("error_huge_n", shape, off));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    dir.write("engram.toml", config("error_huge_n", shape, off, "zoo_error_huge_n"));
    REQUIRE(run({kEngramctl, "--url", d.url(), "reload"}, dir.path).code == 0);
    std::string query = "{\"vector\": [";
    for (int i = 0; i < 64; ++i) query += (i ? ",0.5" : "0.5");
    query += "], \"k\": 3}";
    int failed = 0;
    for (int i = 0; i < 40; ++i) {
        int status = 0;
        d.post("/v1/similar", query, &status);
        failed += status != 200;
    }
    CHECK(failed == 40);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json b = d.get("/v1/backends");
    CHECK(b["kernels"]["similarity"]["backend"] == "zoo_error_huge_n");
    CHECK(b["auto_rollbacks"].empty());
    CHECK(b["watchdog"].empty());
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
}
