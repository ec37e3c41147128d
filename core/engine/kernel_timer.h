// Times one kernel call and records it in the process metrics
// (engram_kernel_duration_seconds; _calls_total is the histogram's count;
// _errors_total on failure). Two tick-clock reads, a bucket search and two
// relaxed atomic adds into this thread's shard of the series: lock-free, no
// allocation, no lookup (the kernel set resolved the series). Its cost is
// measured in bench/bench_metrics.cpp.
#pragma once

#include <engram/kernel_abi.h>

#include "engine/routing.h"
#include "metrics/registry.h"
#include "platform/tick_clock.h"

namespace engram {

class KernelTimer {
public:
    // `status` is read when the timer ends, so declare it before the timer and
    // assign the kernel's result inside the timed block.
    // `ring`, when given, also keeps the exact duration (routes under analysis).
    KernelTimer(metrics::KernelSeries& series, const engram_status& status, LatencyRing* ring = nullptr)
        : series_(series),
          status_(status),
          ring_(ring),
          clock_(tick_clock::calibration()),
          start_(tick_clock::now(clock_)) {}
    ~KernelTimer() {
        const uint64_t ns = tick_clock::to_ns(clock_, tick_clock::now(clock_) - start_);
        series_.duration.observe_ns(ns);
        if (ring_) ring_->record(ns);
        if (status_ != ENGRAM_OK) series_.errors.add();
    }
    KernelTimer(const KernelTimer&) = delete;
    KernelTimer& operator=(const KernelTimer&) = delete;

private:
    metrics::KernelSeries& series_;
    const engram_status& status_;
    LatencyRing* ring_;
    const tick_clock::Calibration& clock_;
    uint64_t start_;
};

}  // namespace engram
