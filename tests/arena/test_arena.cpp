#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "arena/arena.h"
#include "common/error.h"

using namespace engram;

namespace {
struct EnvGuard {
    ~EnvGuard() {
        ::unsetenv("ENGRAM_ARENA_SIZE");
        ::unsetenv("ENGRAM_ARENA_OVERFLOW");
        configure_arenas({uint64_t{1} << 20, OverflowPolicy::Error});
    }
};
}  // namespace

TEST_CASE("arena settings: TOML values, env overrides, invalid values are errors") {
    EnvGuard g;
    ArenaConfig toml;
    toml.size = 8192;
    toml.overflow = "fallback";
    auto s = resolve_arena_settings(toml);
    CHECK(s.size == 8192);
    CHECK(s.policy == OverflowPolicy::Fallback);

    ::setenv("ENGRAM_ARENA_SIZE", "2MiB", 1);
    ::setenv("ENGRAM_ARENA_OVERFLOW", "panic", 1);
    s = resolve_arena_settings(toml);
    CHECK(s.size == (uint64_t{2} << 20));
    CHECK(s.policy == OverflowPolicy::Panic);

    ::setenv("ENGRAM_ARENA_OVERFLOW", "fallbak", 1);  // misspelt: an error, not a default
    try {
        resolve_arena_settings(toml);
        FAIL("accepted a misspelt policy");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::EnvInvalid);
        CHECK_THAT(e.what(), Catch::Contains("fallbak"));
    }
    ::setenv("ENGRAM_ARENA_OVERFLOW", "error", 1);
    ::setenv("ENGRAM_ARENA_SIZE", "12 parsecs", 1);
    CHECK_THROWS_AS(resolve_arena_settings(toml), Error);
    ::setenv("ENGRAM_ARENA_SIZE", "1", 1);  // below the 4 KiB floor
    CHECK_THROWS_AS(resolve_arena_settings(toml), Error);
}

TEST_CASE("arena: bump allocation, 64-byte alignment, reset per scope, high-water mark") {
    EnvGuard g;
    configure_arenas({65536, OverflowPolicy::Error});
    const auto before = arena_stats();
    {
        ArenaScope scope;
        auto* a = scope.allocate_array<float>(3);
        auto* b = scope.allocate_array<float>(100);
        CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);
        CHECK(reinterpret_cast<uintptr_t>(b) % 64 == 0);
        CHECK(reinterpret_cast<char*>(b) - reinterpret_cast<char*>(a) == 64);
        CHECK(scope.used() == 64 + 448);
    }
    void* first = nullptr;
    {
        ArenaScope scope;
        first = scope.allocate(10);
    }
    {
        ArenaScope scope;
        CHECK(scope.allocate(10) == first);  // reset: the same memory again
    }
    const auto after = arena_stats();
    CHECK(after.resets == before.resets + 3);
    CHECK(after.high_water_bytes >= 512);
}

TEST_CASE("arena overflow policy error fails only that request") {
    EnvGuard g;
    configure_arenas({4096, OverflowPolicy::Error});
    const auto before = arena_stats().overflows;
    {
        ArenaScope scope;
        scope.allocate(1000);
        try {
            scope.allocate(8192);
            FAIL("no overflow error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::ArenaOverflow);
            CHECK_THAT(e.what(), Catch::Contains("9216") && Catch::Contains("4096"));
        }
    }
    CHECK(arena_stats().overflows == before + 1);
    ArenaScope next;  // the next request is unaffected
    CHECK(next.allocate(4000) != nullptr);
}

TEST_CASE("arena overflow policy fallback serves from the heap and counts") {
    EnvGuard g;
    configure_arenas({4096, OverflowPolicy::Fallback});
    const auto before = arena_stats().overflows;
    {
        ArenaScope scope;
        auto* big = scope.allocate_array<uint8_t>(100000);
        for (int i = 0; i < 100000; ++i) big[i] = static_cast<uint8_t>(i);  // really usable memory
        CHECK(big[99999] == static_cast<uint8_t>(99999));
        CHECK(reinterpret_cast<uintptr_t>(big) % 64 == 0);
        scope.allocate(100000);  // second overflow in one request counts once
    }
    CHECK(arena_stats().overflows == before + 1);
}

TEST_CASE("arena overflow policy panic aborts naming the size needed") {
    EnvGuard g;
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        configure_arenas({4096, OverflowPolicy::Panic});
        ArenaScope scope;
        scope.allocate(50000);
        _exit(0);  // not reached
    }
    close(fds[1]);
    std::string err;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer's own abort handling turns the child's abort() into a
    // non-zero exit; the policy's promise (the process dies, naming the
    // size) is what counts.
    CHECK(((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
           (WIFEXITED(status) && WEXITSTATUS(status) != 0)));
#else
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
#endif
    CHECK_THAT(err, Catch::Contains("E_ARENA_OVERFLOW") && Catch::Contains("50048") &&
                        Catch::Contains("4096"));
}

TEST_CASE("a new size reaches every thread at its next request") {
    EnvGuard g;
    configure_arenas({4096, OverflowPolicy::Error});
    std::thread([] {
        ArenaScope s;
        CHECK_THROWS_AS(s.allocate(10000), Error);
    }).join();
    configure_arenas({65536, OverflowPolicy::Error});
    std::thread([] {
        ArenaScope s;
        CHECK(s.allocate(10000) != nullptr);
    }).join();
    ArenaScope s;
    CHECK(s.allocate(10000) != nullptr);
    CHECK(arena_stats().threads.size() >= 3);
}

// --- the high-water mark is the peak *requested* bytes, under every policy --

namespace {
// What the engine asks of the arena for POST /v1/retention with n ids:
// four float arrays (strength, age, stability, result), declared up front,
// then allocated, then the kernel's scratch (none for decay).
uint64_t retention_need(uint64_t n) { return 4 * ArenaScope::block(n * sizeof(float)); }

// One retention-shaped request; false if the arena refused it.
bool retention_request(uint64_t n) {
    try {
        ArenaScope scope;
        scope.reserve(retention_need(n));
        for (int i = 0; i < 4; ++i) scope.allocate_array<float>(n);
        return true;
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ArenaOverflow);
        CHECK_THAT(e.what(), Catch::Contains("needs at least " + std::to_string(retention_need(n)) +
                                             " bytes"));
        return false;
    }
}

// A fresh thread's arena: high_water_bytes of that thread only.
uint64_t high_water_on_new_thread(uint64_t n, bool* served) {
    uint64_t hw = 0;
    std::thread([&] {
        *served = retention_request(n);
        const auto stats = arena_stats();
        hw = stats.threads.back().high_water_bytes;  // this thread registered last
    }).join();
    return hw;
}
}  // namespace

TEST_CASE("high water counts a refused request's whole need, under every policy") {
    EnvGuard g;
    const uint64_t n = 100'000;  // 1.6 MB: does not fit 1 MiB
    for (auto policy : {OverflowPolicy::Error, OverflowPolicy::Fallback}) {
        configure_arenas({uint64_t{1} << 20, policy});
        bool served = false;
        const uint64_t hw = high_water_on_new_thread(n, &served);
        CHECK(served == (policy == OverflowPolicy::Fallback));
        CHECK(hw == retention_need(n));  // not just the part allocated before the refusal
    }
    // Without a declaration the refusal still counts what was asked so far,
    // including the allocation that did not fit.
    configure_arenas({4096, OverflowPolicy::Error});
    std::thread([] {
        {
            ArenaScope scope;
            scope.allocate(1000);
            CHECK_THROWS_AS(scope.allocate(8192), Error);
        }
        CHECK(arena_stats().threads.back().high_water_bytes == 1024 + 8192);
    }).join();
}

TEST_CASE(
    "the documented sizing rule holds: twice the high water, rounded up to a MiB, serves the "
    "request") {
    // docs/operations/performance_kernels.md, "Arena sizing": size the arena
    // at 2 x high_water_bytes, rounded up to a MiB — read under the default
    // policy (error), where the sizing request itself was refused.
    EnvGuard g;
    for (uint64_t n : {70'000ull, 100'000ull, 300'000ull, 1'000'000ull}) {
        configure_arenas({uint64_t{1} << 20, OverflowPolicy::Error});
        bool served = true;
        const uint64_t hw = high_water_on_new_thread(n, &served);
        CHECK_FALSE(served);
        const uint64_t mib = uint64_t{1} << 20;
        const uint64_t advised = (2 * hw + mib - 1) / mib * mib;
        configure_arenas({advised, OverflowPolicy::Error});
        bool now_served = false;
        high_water_on_new_thread(n, &now_served);
        CHECK(now_served);
        // Once is enough too (the factor 2 is headroom for growth).
        configure_arenas({hw, OverflowPolicy::Error});
        high_water_on_new_thread(n, &now_served);
        CHECK(now_served);
    }
}

TEST_CASE("the default arena holds the largest retention request the API accepts") {
    EnvGuard g;
    CHECK(ArenaSettings{}.size == kDefaultArenaSize);
    CHECK(ArenaConfig{}.size == kDefaultArenaSize);
    configure_arenas(resolve_arena_settings(ArenaConfig{}));
    CHECK(retention_need(1'000'000) <= kDefaultArenaSize);
    bool served = false;
    high_water_on_new_thread(1'000'000, &served);
    CHECK(served);
}
