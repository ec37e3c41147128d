// The process-collector series in /metrics (core/metrics/process_stats.h):
// plausible values that move when the process' resources do.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>

#include "metrics/process_stats.h"
#include "metrics/registry.h"

using engram::metrics::read_process_stats;

TEST_CASE("process stats: plausible values") {
    const auto s = read_process_stats();
    CHECK(s.resident_bytes > 1 << 20);  // > 1 MiB
    CHECK(s.virtual_bytes >= s.resident_bytes);
    CHECK(s.open_fds >= 3);  // stdin, stdout, stderr at least
    CHECK(s.max_fds >= s.open_fds);
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(s.start_time_seconds <= now + 1.0);
    CHECK(s.start_time_seconds > now - 86400.0);  // this test binary started today
}

TEST_CASE("process stats: RSS grows by the 64 MiB the process touches") {
    constexpr size_t kBytes = size_t{64} << 20;
    const auto before = read_process_stats();
    void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    std::memset(p, 1, kBytes);
    const auto touched = read_process_stats();
    munmap(p, kBytes);
    const auto after = read_process_stats();
    CHECK(touched.resident_bytes - before.resident_bytes >= static_cast<int64_t>(kBytes * 15 / 16));
    CHECK(touched.virtual_bytes - before.virtual_bytes >= static_cast<int64_t>(kBytes));
    CHECK(touched.resident_bytes - after.resident_bytes >= static_cast<int64_t>(kBytes * 15 / 16));
}

TEST_CASE("process stats: open fds count one more while a file is open") {
    const auto before = read_process_stats();
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const auto during = read_process_stats();
    ::close(fd);
    const auto after = read_process_stats();
    CHECK(during.open_fds == before.open_fds + 1);
    CHECK(after.open_fds == before.open_fds);
}

TEST_CASE("process stats are in the exposition under the standard names") {
    const std::string text = engram::metrics::Registry::global().render();
    for (const char* name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                             "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
        INFO(name);
        CHECK_THAT(text, Catch::Contains(std::string("# TYPE ") + name + " gauge\n"));
        CHECK_THAT(text, Catch::Contains(std::string("\n") + name + " "));
    }
    CHECK_THAT(text, Catch::Contains("# TYPE engram_kernel_nonfinite_total counter\n"));
}
