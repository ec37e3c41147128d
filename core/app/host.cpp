#include "app/host.h"

#include <chrono>

#include "app/log.h"
#include "kernelset/kernel_set.h"
#include "platform/cpu_features.h"
#include "store/memory_store.h"

namespace engram {

namespace {
double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Host::Host(std::filesystem::path config_file)
    : config_file_(std::move(config_file)), usable_features_(usable_cpu_features()) {
    config_ = load_config(config_file_);
    log::write(log::Level::Info, "cpu features", {{"usable", cpu_feature_names(usable_features_)}});
    auto set = build_kernel_set(config_, usable_features_, 1, nullptr);
    auto store = std::make_shared<const MemoryStore>(build_store(config_.store, unix_now()));
    log::write(log::Level::Info, "store ready",
               {{"memories", std::to_string(store->n)},
                {"dim", std::to_string(store->dim)},
                {"edges", std::to_string(store->sources.size())}});
    engine_ = std::make_unique<Engine>(std::move(store));
    engine_->install(set);
    log_kernel_set(*set);
}

Config Host::config() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return config_;
}

ReloadResult Host::reload() {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto start = std::chrono::steady_clock::now();
    ReloadResult r;
    const auto current = engine_->snapshot();
    try {
        Config next = load_config(config_file_);
        auto set = build_kernel_set(next, usable_features_, current->generation() + 1, current.get());
        engine_->install(set);
        config_ = std::move(next);
        r.ok = true;
        r.generation = set->generation();
        log_kernel_set(*set);
    } catch (const ErrorList& e) {
        r.errors = e.errors();
    } catch (const Error& e) {
        r.errors = {e};
    }
    if (!r.ok) r.generation = current->generation();
    r.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

void log_kernel_set(const KernelSet& set) {
    for (Kernel k : kAllKernels) {
        const Plugin& p = set.backend(k);
        log::write(log::Level::Info, "kernel served",
                   {{"generation", std::to_string(set.generation())},
                    {"kernel", kernel_name(k)},
                    {"backend", p.name()},
                    {"version", p.version()},
                    {"path", p.path().string()}});
    }
    for (const auto& s : set.skipped())
        log::write(log::Level::Info, "plugin skipped",
                   {{"plugin", s.plugin},
                    {"code", std::string(code_string(s.reason.code()))},
                    {"reason", s.reason.what()}});
}

}  // namespace engram
