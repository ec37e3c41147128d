#include "engine/shadow_pool.h"

#include <pthread.h>
#include <sched.h>

namespace engram {

ShadowPool::ShadowPool(size_t capacity) : capacity_(capacity), thread_([this] { loop(); }) {}

ShadowPool::~ShadowPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    cv_.notify_all();
    thread_.join();
}

bool ShadowPool::try_submit(std::function<void()> job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || jobs_.size() >= capacity_) return false;
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
}

void ShadowPool::drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return jobs_.empty() && running_ == 0; });
}

bool ShadowPool::idle() {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.empty() && running_ == 0;
}

void ShadowPool::loop() {
    // Shadow work only ever gets CPU nobody else wants: live requests first.
    const sched_param idle{0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++running_;
        lock.unlock();
        try {
            job();
        } catch (...) {
            // A failed shadow call is the alternate's problem, recorded by the job.
        }
        job = nullptr;  // release what it holds (kernel sets) outside the lock
        lock.lock();
        --running_;
        if (jobs_.empty() && running_ == 0) idle_.notify_all();
    }
}

}  // namespace engram
