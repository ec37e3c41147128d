#include "engine/kernel_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace engram {

namespace {

// One request's parts in flight: lives on the requesting thread's stack
// until every helper has signalled its part done.
struct Job {
    void (*task)(void*, unsigned) = nullptr;
    void* ctx = nullptr;
    std::mutex mutex;
    std::condition_variable done;
    unsigned pending = 0;
};

}  // namespace

struct KernelHelper {
    std::condition_variable wake;
    Job* job = nullptr;  // guarded by the pool's mutex
    unsigned part = 0;
    std::thread thread;
};

unsigned default_kernel_threads() {
    const unsigned hw = std::thread::hardware_concurrency();
    return std::clamp(hw, 1u, 2u);
}

std::vector<RowRange> split_rows(uint64_t n, unsigned parts) {
    const uint64_t blocks = n / kSplitAlignRows;  // whole 64-row blocks; the tail joins the last
    const uint64_t k = std::max<uint64_t>(1, std::min<uint64_t>(parts, blocks));
    std::vector<RowRange> out;
    out.reserve(k);
    uint64_t begin = 0;
    for (uint64_t p = 0; p < k; ++p) {
        // Blocks shared out as evenly as whole blocks allow: the first
        // blocks % k ranges get one more.
        const uint64_t b = blocks / k + (p < blocks % k ? 1 : 0);
        const uint64_t end = p + 1 == k ? n : begin + b * kSplitAlignRows;
        out.push_back({begin, end});
        begin = end;
    }
    return out;
}

KernelPool::KernelPool(unsigned threads) {
    const unsigned helpers = threads > 1 ? threads - 1 : 0;
    helpers_.reserve(helpers);
    for (unsigned i = 0; i < helpers; ++i) {
        helpers_.push_back(std::make_unique<KernelHelper>());
        KernelHelper* h = helpers_.back().get();
        idle_.push_back(h);
        h->thread = std::thread([this, h] { loop(h); });
    }
}

KernelPool::~KernelPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    for (auto& h : helpers_) h->wake.notify_all();
    for (auto& h : helpers_) h->thread.join();
}

KernelPool::Lease KernelPool::claim(unsigned want) {
    Lease lease;
    if (want <= 1 || helpers_.empty()) return lease;
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t take = std::min<size_t>(want - 1, idle_.size());
    if (take == 0) return lease;
    lease.pool_ = this;
    lease.claimed_.assign(idle_.end() - static_cast<long>(take), idle_.end());
    idle_.resize(idle_.size() - take);
    return lease;
}

void KernelPool::release(std::vector<KernelHelper*>& helpers) {
    if (helpers.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.insert(idle_.end(), helpers.begin(), helpers.end());
    helpers.clear();
}

void KernelPool::loop(KernelHelper* h) {
    pthread_setname_np(pthread_self(), "engram-kernel");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        h->wake.wait(lock, [&] { return stopping_ || h->job != nullptr; });
        if (h->job == nullptr) return;  // stopping, and no part was handed over
        Job* job = h->job;
        const unsigned part = h->part;
        lock.unlock();
        job->task(job->ctx, part);
        lock.lock();
        h->job = nullptr;
        {
            // Notified under the job's lock: the requester cannot return (and
            // destroy the job) before this helper is done touching it.
            std::lock_guard<std::mutex> done(job->mutex);
            if (--job->pending == 0) job->done.notify_one();
        }
    }
}

KernelPool::Lease::Lease(Lease&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)), claimed_(std::move(o.claimed_)) {
    o.claimed_.clear();
}

KernelPool::Lease::~Lease() {
    if (pool_) pool_->release(claimed_);
}

void KernelPool::Lease::run(void (*task)(void*, unsigned), void* ctx) {
    if (claimed_.empty()) {
        task(ctx, 0);
        return;
    }
    Job job;
    job.task = task;
    job.ctx = ctx;
    job.pending = static_cast<unsigned>(claimed_.size());
    {
        std::lock_guard<std::mutex> lock(pool_->mutex_);
        for (size_t i = 0; i < claimed_.size(); ++i) {
            claimed_[i]->job = &job;
            claimed_[i]->part = static_cast<unsigned>(i + 1);
        }
    }
    for (KernelHelper* h : claimed_) h->wake.notify_one();
    task(ctx, 0);
    {
        std::unique_lock<std::mutex> lock(job.mutex);
        job.done.wait(lock, [&] { return job.pending == 0; });
    }
    pool_->release(claimed_);
}

}  // namespace engram
