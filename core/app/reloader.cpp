#include "app/reloader.h"

#include <string>

#include "app/log.h"

namespace engram {

Reloader::Reloader(Host& host) : Reloader([&host] { return host.reload(); }) {}

Reloader::Reloader(std::function<ReloadResult()> reload)
    : reload_(std::move(reload)), thread_([this] { loop(); }) {}

Reloader::~Reloader() { stop(); }

uint64_t Reloader::request() {
    uint64_t ticket;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ticket = ++requested_;
    }
    cv_.notify_all();
    return ticket;
}

ReloadResult Reloader::wait(uint64_t ticket) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return completed_ >= ticket || stopping_; });
    if (completed_ >= ticket) return last_;
    ReloadResult r;
    r.errors.emplace_back(ErrorCode::ReloadStopping,
                          "engramd is shutting down; the reload was not run");
    r.generation = last_.generation;  // 0 if no reload ran yet
    return r;
}

void Reloader::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

uint64_t Reloader::runs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return runs_;
}

void Reloader::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return requested_ > completed_ || stopping_; });
        if (stopping_) return;
        // Every ticket up to here was issued before this reload starts, so
        // this one reload answers all of them.
        const uint64_t target = requested_;
        ++runs_;
        lock.unlock();
        ReloadResult r = reload_();
        log::Fields f{{"generation", std::to_string(r.generation)},
                      {"result", r.ok ? "ok" : "failed"},
                      {"duration_ms", std::to_string(r.duration_seconds * 1000.0)}};
        for (const auto& [kernel, backend] : r.serving) f.push_back({kernel, backend});
        if (!r.ok && !r.errors.empty())
            f.push_back({"code", std::string(code_string(r.errors.front().code()))});
        log::write(r.ok ? log::Level::Info : log::Level::Error, "reload", f);
        for (const auto& e : r.errors) log::write(log::Level::Error, e.describe());
        lock.lock();
        last_ = std::move(r);
        completed_ = target;
        cv_.notify_all();
    }
}

}  // namespace engram
