#include "metrics/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace engram::metrics {

namespace {

void read_statm(ProcessStats& s) {
    std::ifstream in("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    if (!(in >> size >> resident)) return;
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    s.virtual_bytes = static_cast<int64_t>(size * static_cast<uint64_t>(page));
    s.resident_bytes = static_cast<int64_t>(resident * static_cast<uint64_t>(page));
}

void count_fds(ProcessStats& s) {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return;
    const int own = dirfd(d);
    int64_t n = 0;
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (std::atoi(e->d_name) == own) continue;  // the descriptor listing the directory
        ++n;
    }
    closedir(d);
    s.open_fds = n;
}

void read_max_fds(ProcessStats& s) {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
    s.max_fds = r.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(r.rlim_cur);
}

// starttime (field 22 of /proc/self/stat, clock ticks after boot) + btime.
void read_start_time(ProcessStats& s) {
    std::string stat;
    {
        std::ifstream in("/proc/self/stat");
        std::getline(in, stat);
    }
    // Field 2 (comm) is in parentheses and may hold spaces: count after the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream fields(stat.substr(close + 1));
    std::string f;
    uint64_t start_ticks = 0;
    bool found = false;
    for (int field = 3; fields >> f; ++field) {
        if (field == 22) {
            start_ticks = std::strtoull(f.c_str(), nullptr, 10);
            found = true;
            break;
        }
    }
    if (!found) return;
    std::ifstream in("/proc/stat");
    std::string line;
    uint64_t btime = 0;
    while (std::getline(in, line)) {
        if (line.rfind("btime ", 0) == 0) {
            btime = std::strtoull(line.c_str() + 6, nullptr, 10);
            break;
        }
    }
    const long hz = sysconf(_SC_CLK_TCK);
    if (btime == 0 || hz <= 0) return;
    s.start_time_seconds =
        static_cast<double>(btime) + static_cast<double>(start_ticks) / static_cast<double>(hz);
}

}  // namespace

ProcessStats read_process_stats() {
    ProcessStats s;
    read_statm(s);
    count_fds(s);
    read_max_fds(s);
    read_start_time(s);
    return s;
}

}  // namespace engram::metrics
