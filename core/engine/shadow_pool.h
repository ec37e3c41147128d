// The bounded pool that runs shadow work (the other backend of a compared
// call) off the response path. One worker thread and a small queue: when the
// queue is full the job is dropped and counted, never waited for, so shadow
// traffic can only ever cost live requests the CPU it actually gets.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace engram {

class ShadowPool {
  public:
    explicit ShadowPool(size_t capacity = 8);
    ~ShadowPool();
    ShadowPool(const ShadowPool&) = delete;
    ShadowPool& operator=(const ShadowPool&) = delete;

    // false (and the job is destroyed) when the queue is full.
    bool try_submit(std::function<void()> job);
    // Blocks until every job submitted so far has run (tests).
    void drain();
    // No job queued or running (benchmarks poll it without blocking).
    bool idle();

  private:
    void loop();

    const size_t capacity_;
    std::mutex mutex_;
    std::condition_variable cv_, idle_;
    std::deque<std::function<void()>> jobs_;
    size_t running_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace engram
