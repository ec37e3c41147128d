// SIGTERM under load: engramd stops accepting, every request it had already
// taken is answered in full, and it exits 0.
#include <signal.h>

#include <atomic>

#include "daemon.h"
#include "oracle_check.h"

using namespace engram;
using namespace engram::testing;

TEST_CASE("SIGTERM under load: in-flight requests complete, exit 0") {
    TempDir dir;
    // A larger store so each similar request takes a while and some are
    // certainly in flight when the signal lands.
    StoreShape shape;
    shape.memories = 20000;
    shape.dim = 256;
    const auto cfg = dir.write(
        "engram.toml", config_text({{"reference", plugin("reference")}}, "reference", shape));
    Daemon d(cfg, dir.path);
    REQUIRE(d.ready());
    const OracleCheck oracle(shape);

    std::atomic<bool> signalled{false};
    std::atomic<int> answered_after_signal{0}, ok{0}, wrong{0}, refused{0};
    std::vector<std::string> problems;
    std::mutex m;
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t)
        clients.emplace_back([&, t] {
            std::vector<float> q(shape.dim);
            for (size_t i = 0; i < q.size(); ++i)
                q[i] = static_cast<float>((i * (t + 3)) % 11) - 5.0f;
            const std::string body = json{{"vector", q}, {"k", 10}}.dump();
            for (;;) {
                auto c = d.client();
                const bool after = signalled.load();
                auto res = c->Post("/v1/similar", body, "application/json");
                if (!res) {
                    // Only a connection the server never accepted may fail,
                    // and only once it has stopped listening.
                    if (!signalled.load()) {
                        std::lock_guard<std::mutex> l(m);
                        problems.push_back("failed before SIGTERM: " +
                                           httplib::to_string(res.error()));
                    }
                    ++refused;
                    return;
                }
                if (res->status != 200 || !oracle.similar(q, 10, json::parse(res->body)).empty()) {
                    std::lock_guard<std::mutex> l(m);
                    problems.push_back("HTTP " + std::to_string(res->status) + ": " +
                                       res->body.substr(0, 200));
                    ++wrong;
                    continue;
                }
                ++ok;
                if (signalled.load() && !after) ++answered_after_signal;
            }
        });
    REQUIRE(eventually([&] { return ok.load() >= 6; }));
    signalled = true;
    d.process().signal(SIGTERM);
    const int code = d.process().wait();
    for (auto& c : clients) c.join();
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(code == 0);
    CHECK(problems.empty());
    CHECK(wrong == 0);
    CHECK(refused == 3);  // every client eventually finds the door closed
    CHECK_THAT(d.process().err(),
               Catch::Contains("engramd stopping") && Catch::Contains("engramd stopped"));
    // Requests sent before the signal and answered after it: the drain.
    WARN("requests in flight at SIGTERM and answered: " << answered_after_signal.load());
}
