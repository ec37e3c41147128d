// The process' own resources, read from /proc at render time (once per
// scrape): the standard Prometheus process-collector series
// (process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds), so the
// usual dashboards and the EngramMemoryGrowing / EngramFdsGrowing alerts work.
// Linux only; a value that cannot be read is left out (negative here).
#pragma once

#include <cstdint>

namespace engram::metrics {

struct ProcessStats {
    int64_t resident_bytes = -1;  // /proc/self/statm resident x page size
    int64_t virtual_bytes = -1;   // /proc/self/statm size x page size
    int64_t open_fds = -1;        // entries of /proc/self/fd (not counting the one used to list it)
    int64_t max_fds = -1;         // RLIMIT_NOFILE soft limit
    double start_time_seconds =
        -1;  // unix time the process started (/proc/self/stat + /proc/stat btime)
};

ProcessStats read_process_stats();

}  // namespace engram::metrics
