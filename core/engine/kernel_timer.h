// Times one kernel call and records it in the process metrics
// (engram_kernel_duration_seconds; _calls_total is the histogram's count;
// _errors_total on failure). Two tick-clock reads, a bucket search and two
// relaxed atomic adds into this thread's shard of the series: lock-free, no
// allocation, no lookup (the kernel set resolved the series). Its cost is
// measured in bench/bench_metrics.cpp.
#pragma once

#include <engram/kernel_abi.h>
#include <time.h>

#include "engine/routing.h"
#include "metrics/registry.h"
#include "platform/tick_clock.h"

namespace engram {

class KernelTimer {
  public:
    // `status` is read when the timer ends, so declare it before the timer and
    // assign the kernel's result inside the timed block.
    // `ring`, when given (routes under analysis), also keeps the call's CPU
    // time on this thread: a candidate is judged by what it costs, not by
    // when the scheduler let it run (a busy host preempts anyone).
    KernelTimer(metrics::KernelSeries& series, const engram_status& status,
                LatencyRing* ring = nullptr)
        : series_(series),
          status_(status),
          ring_(ring),
          cpu_start_(ring ? thread_cpu_ns() : 0),
          clock_(tick_clock::calibration()),
          start_(tick_clock::now(clock_)) {}
    ~KernelTimer() {
        const uint64_t ns = tick_clock::to_ns(clock_, tick_clock::now(clock_) - start_);
        series_.duration.observe_ns(ns);
        if (ring_) ring_->record(thread_cpu_ns() - cpu_start_);
        if (status_ != ENGRAM_OK) series_.errors.add();
    }
    KernelTimer(const KernelTimer&) = delete;
    KernelTimer& operator=(const KernelTimer&) = delete;

  private:
    metrics::KernelSeries& series_;
    const engram_status& status_;
    static uint64_t thread_cpu_ns() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    }
    LatencyRing* ring_;
    uint64_t cpu_start_;
    const tick_clock::Calibration& clock_;
    uint64_t start_;
};

}  // namespace engram
