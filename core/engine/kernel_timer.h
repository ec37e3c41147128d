// Times one kernel call and records it in the process metrics
// (engram_kernel_duration_seconds; _calls_total is the histogram's count;
// _errors_total on failure). Two tick-clock reads, a bucket search and two
// relaxed atomic adds into this thread's shard of the series: lock-free, no
// allocation, no lookup (the kernel set resolved the series). Its cost is
// measured in bench/bench_metrics.cpp.
#pragma once

#include <engram/kernel_abi.h>

#include "metrics/registry.h"
#include "platform/tick_clock.h"

namespace engram {

class KernelTimer {
public:
    // `status` is read when the timer ends, so declare it before the timer and
    // assign the kernel's result inside the timed block.
    KernelTimer(metrics::KernelSeries& series, const engram_status& status)
        : series_(series),
          status_(status),
          clock_(tick_clock::calibration()),
          start_(tick_clock::now(clock_)) {}
    ~KernelTimer() {
        series_.duration.observe_ns(tick_clock::to_ns(clock_, tick_clock::now(clock_) - start_));
        if (status_ != ENGRAM_OK) series_.errors.add();
    }
    KernelTimer(const KernelTimer&) = delete;
    KernelTimer& operator=(const KernelTimer&) = delete;

private:
    metrics::KernelSeries& series_;
    const engram_status& status_;
    const tick_clock::Calibration& clock_;
    uint64_t start_;
};

}  // namespace engram
