// Times one kernel call and records it in the process metrics
// (engram_kernel_duration_seconds, _calls_total, _errors_total). Two clock
// reads and three relaxed atomic adds: lock-free, no allocation once the
// (kernel, backend) series exists. Its cost is measured in bench/.
#pragma once

#include <chrono>

#include <engram/kernel_abi.h>

#include "config/config.h"
#include "loader/plugin.h"
#include "metrics/registry.h"

namespace engram {

class KernelTimer {
public:
    // `status` is read when the timer ends, so declare it before the timer and
    // assign the kernel's result inside the timed block.
    KernelTimer(Kernel k, const Plugin& p, const engram_status& status)
        : series_(metrics::Registry::global().kernel(kernel_name(k), p.name())),
          status_(status),
          start_(std::chrono::steady_clock::now()) {}
    ~KernelTimer() {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start_)
                            .count();
        series_.duration.observe_ns(static_cast<uint64_t>(ns));
        series_.calls.add();
        if (status_ != ENGRAM_OK) series_.errors.add();
    }
    KernelTimer(const KernelTimer&) = delete;
    KernelTimer& operator=(const KernelTimer&) = delete;

private:
    metrics::KernelSeries& series_;
    const engram_status& status_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace engram
