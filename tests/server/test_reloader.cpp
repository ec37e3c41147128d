// Reload coalescing with an injected reload that the test holds: a burst of
// requests arriving while a reload runs becomes exactly one more reload, and
// every requester gets the result of a reload that started after it asked.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "app/reloader.h"

using namespace engram;

namespace {
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    int started = 0;
    ReloadResult run() {
        std::unique_lock<std::mutex> l(m);
        const int n = ++started;
        cv.notify_all();
        cv.wait(l, [&] { return open; });
        ReloadResult r;
        r.ok = true;
        r.generation = static_cast<uint64_t>(n) + 1;
        return r;
    }
    void wait_started(int n) {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return started >= n; });
    }
    void release() {
        std::lock_guard<std::mutex> l(m);
        open = true;
        cv.notify_all();
    }
};
}  // namespace

TEST_CASE("a burst of reload requests during a reload runs one more reload") {
    Gate gate;
    Reloader r([&] { return gate.run(); });
    const uint64_t first = r.request();
    gate.wait_started(1);  // reload 1 is running and held
    uint64_t last = 0;
    for (int i = 0; i < 50; ++i) last = r.request();
    gate.release();
    const ReloadResult a = r.wait(first);
    const ReloadResult b = r.wait(last);
    CHECK(a.ok);
    CHECK(b.generation == 3);  // the second reload answered all 50
    CHECK(r.runs() == 2);
}

TEST_CASE("waiting after stop() is an E_RELOAD_STOPPING failure, not a hang") {
    Gate gate;
    gate.release();
    Reloader r([&] { return gate.run(); });
    r.wait(r.request());
    r.stop();
    const ReloadResult late = r.wait(r.request());
    CHECK_FALSE(late.ok);
    REQUIRE(late.errors.size() == 1);
    CHECK(late.errors[0].code() == ErrorCode::ReloadStopping);
}
