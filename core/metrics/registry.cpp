#include "metrics/registry.h"

#include <cstdio>
#include <cstring>

#include "metrics/process_stats.h"

namespace engram::metrics {

namespace {

// Generic find-or-create over an append-only slot array. Readers scan the
// published prefix without locking; writers append under the mutex and
// publish with a release store of the new size.
template <class T, class Match, class Make>
T& find_or_create(std::array<std::atomic<T*>, 256>& items, std::atomic<size_t>& size,
                  std::vector<std::unique_ptr<T>>& owned, std::mutex& mutex, Match match,
                  Make make) {
    size_t n = size.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) {
        T* p = items[i].load(std::memory_order_acquire);
        if (match(*p)) return *p;
    }
    std::lock_guard<std::mutex> lock(mutex);
    n = size.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) {
        T* p = items[i].load(std::memory_order_acquire);
        if (match(*p)) return *p;
    }
    // Past the cap (only possible with hundreds of distinct backends or
    // routes) the last slot is shared rather than growing without bound.
    if (n == items.size()) return *items[n - 1].load(std::memory_order_acquire);
    owned.push_back(make());
    items[n].store(owned.back().get(), std::memory_order_release);
    size.store(n + 1, std::memory_order_release);
    return *owned.back();
}

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string fmt_double(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

template <class H>  // any BasicHistogram
void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const H& h) {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < H::kBuckets; ++i) {
        cumulative += h.bucket(i);
        out += name + "_bucket{" + labels + sep + "le=\"" + fmt_double(h.bounds()[i]) + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    cumulative += h.bucket(H::kBuckets);
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += name + "_sum" + braces + " " + fmt_double(static_cast<double>(h.sum_ns()) * 1e-9) + "\n";
    out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

void header(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// The standard process-collector families (names, types and units as
// Prometheus' client libraries export them); a value not read is left out.
void render_process_stats(std::string& out, const ProcessStats& p) {
    const auto gauge = [&](const char* name, const char* help, int64_t v) {
        if (v < 0) return;
        header(out, name, "gauge", help);
        out += std::string(name) + " " + std::to_string(v) + "\n";
    };
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p.resident_bytes);
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtual_bytes);
    gauge("process_open_fds", "Number of open file descriptors.", p.open_fds);
    gauge("process_max_fds", "Maximum number of open file descriptors.", p.max_fds);
    if (p.start_time_seconds >= 0) {
        header(out, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.");
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2f", p.start_time_seconds);
        out += std::string("process_start_time_seconds ") + buf + "\n";
    }
}

}  // namespace

Registry& Registry::global() {
    static Registry r;
    return r;
}

KernelSeries& Registry::kernel(const char* kernel, const char* backend) {
    return find_or_create(
        kernels_.items, kernels_.size, kernels_.owned, mutex_,
        [&](const KernelSeries& s) { return s.kernel == kernel && s.backend == backend; },
        [&] { return std::make_unique<KernelSeries>(kernel, backend); });
}

HttpSeries& Registry::http(const std::string& route, int code) {
    return find_or_create(
        http_.items, http_.size, http_.owned, mutex_,
        [&](const HttpSeries& s) { return s.code == code && s.route == route; },
        [&] { return std::make_unique<HttpSeries>(route, code); });
}

HttpRouteLatency& Registry::http_latency(const std::string& route) {
    return find_or_create(
        http_latency_.items, http_latency_.size, http_latency_.owned, mutex_,
        [&](const HttpRouteLatency& s) { return s.route == route; },
        [&] { return std::make_unique<HttpRouteLatency>(route); });
}

void Registry::set_backend_info(std::vector<BackendInfo> info) {
    std::lock_guard<std::mutex> lock(mutex_);
    backend_info_ = std::move(info);
}

void Registry::render_parallel(std::string& out) const {
    static const char* kKernels[] = {"similarity", "spreading", "decay"};
    header(out, "engram_kernel_threads", "gauge",
           "Threads one large similarity or decay request may use ([server] kernel_threads).");
    out += "engram_kernel_threads " + std::to_string(kernel_threads.value()) + "\n";
    header(out, "engram_kernel_split_calls_total", "counter",
           "Kernel calls split into row ranges over more than one thread.");
    for (size_t k = 0; k < 3; ++k)
        out += std::string("engram_kernel_split_calls_total{kernel=\"") + kKernels[k] + "\"} " +
               std::to_string(parallel[k].split_calls.value()) + "\n";
    header(
        out, "engram_kernel_split_busy_total", "counter",
        "Kernel calls large enough to split that ran on one thread: every pool thread was busy.");
    for (size_t k = 0; k < 3; ++k)
        out += std::string("engram_kernel_split_busy_total{kernel=\"") + kKernels[k] + "\"} " +
               std::to_string(parallel[k].busy.value()) + "\n";
}

void Registry::render_rollouts(std::string& out) const {
    static const char* kKernels[] = {"similarity", "spreading", "decay"};
    const auto per_kernel = [&](const char* name, const char* type, const char* help, auto value) {
        header(out, name, type, help);
        for (size_t k = 0; k < 3; ++k)
            out +=
                std::string(name) + "{kernel=\"" + kKernels[k] + "\"} " + value(rollout[k]) + "\n";
    };
    per_kernel("engram_shadow_comparisons_total", "counter",
               "Calls whose other backend also ran off the response path and was compared.",
               [](const RolloutSeries& r) { return std::to_string(r.shadow_comparisons.value()); });
    per_kernel("engram_shadow_mismatches_total", "counter",
               "Compared calls whose two answers disagreed beyond the oracle tolerances.",
               [](const RolloutSeries& r) { return std::to_string(r.shadow_mismatches.value()); });
    per_kernel("engram_shadow_dropped_total", "counter",
               "Comparisons shed because the shadow pool was full.",
               [](const RolloutSeries& r) { return std::to_string(r.shadow_dropped.value()); });
    per_kernel("engram_shadow_busy_total", "counter",
               "Comparisons skipped because every usable core was serving live requests.",
               [](const RolloutSeries& r) { return std::to_string(r.shadow_busy.value()); });
    per_kernel("engram_rollout_step_percent", "gauge",
               "Share of calls the rollout's candidate serves, percent.",
               [](const RolloutSeries& r) {
                   return std::to_string(static_cast<double>(r.step_bp.value()) / 100.0);
               });
    header(out, "engram_rollout_phase", "gauge",
           "The rollout phase of each kernel (1 for the current phase).");
    for (size_t k = 0; k < 3; ++k)
        for (size_t p = 0; p < std::size(RolloutSeries::kPhases); ++p)
            out += std::string("engram_rollout_phase{kernel=\"") + kKernels[k] + "\",phase=\"" +
                   RolloutSeries::kPhases[p] + "\"} " +
                   (rollout[k].phase.value() == static_cast<int64_t>(p) ? "1" : "0") + "\n";
    header(
        out, "engram_auto_rollbacks_total", "counter",
        "Automatic rollbacks (failed canary or shadow analysis, watchdog after a swap) by reason.");
    for (size_t k = 0; k < 3; ++k)
        for (size_t r = 0; r < std::size(RolloutSeries::kReasons); ++r)
            out += std::string("engram_auto_rollbacks_total{kernel=\"") + kKernels[k] +
                   "\",reason=\"" + RolloutSeries::kReasons[r] + "\"} " +
                   std::to_string(rollout[k].auto_rollbacks[r].value()) + "\n";
}

std::string Registry::render() const {
    std::string out;
    out.reserve(16384);
    const size_t nk = kernels_.size.load(std::memory_order_acquire);
    header(out, "engram_kernel_duration_seconds", "histogram", "Time spent in one kernel call.");
    for (size_t i = 0; i < nk; ++i) {
        const KernelSeries& s = *kernels_.items[i].load(std::memory_order_acquire);
        render_histogram(
            out, "engram_kernel_duration_seconds",
            "kernel=\"" + escape_label(s.kernel) + "\",backend=\"" + escape_label(s.backend) + "\"",
            s.duration);
    }
    header(out, "engram_kernel_calls_total", "counter", "Kernel calls, successful or not.");
    for (size_t i = 0; i < nk; ++i) {
        const KernelSeries& s = *kernels_.items[i].load(std::memory_order_acquire);
        out += "engram_kernel_calls_total{kernel=\"" + escape_label(s.kernel) + "\",backend=\"" +
               escape_label(s.backend) + "\"} " + std::to_string(s.calls()) + "\n";
    }
    header(out, "engram_kernel_errors_total", "counter",
           "Kernel calls that returned an error status.");
    for (size_t i = 0; i < nk; ++i) {
        const KernelSeries& s = *kernels_.items[i].load(std::memory_order_acquire);
        out += "engram_kernel_errors_total{kernel=\"" + escape_label(s.kernel) + "\",backend=\"" +
               escape_label(s.backend) + "\"} " + std::to_string(s.errors.value()) + "\n";
    }
    header(
        out, "engram_kernel_nonfinite_total", "counter",
        "Kernel calls that returned ENGRAM_OK with a NaN or infinity in their output (refused).");
    for (size_t i = 0; i < nk; ++i) {
        const KernelSeries& s = *kernels_.items[i].load(std::memory_order_acquire);
        out += "engram_kernel_nonfinite_total{kernel=\"" + escape_label(s.kernel) +
               "\",backend=\"" + escape_label(s.backend) + "\"} " +
               std::to_string(s.nonfinite.value()) + "\n";
    }
    header(out, "engram_arena_overflows_total", "counter",
           "Requests whose scratch needs exceeded the per-thread arena.");
    out += "engram_arena_overflows_total " + std::to_string(arena_overflows.value()) + "\n";
    header(out, "engram_arena_high_water_bytes", "gauge",
           "Largest arena use by one request on any thread since start.");
    out += "engram_arena_high_water_bytes " + std::to_string(arena_high_water_bytes.value()) + "\n";
    header(out, "engram_arena_size_bytes", "gauge", "Configured per-thread arena size.");
    out += "engram_arena_size_bytes " + std::to_string(arena_size_bytes.value()) + "\n";
    header(out, "engram_backend_info", "gauge",
           "The plugin serving each kernel (value is always 1).");
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& b : backend_info_)
            out += "engram_backend_info{kernel=\"" + escape_label(b.kernel) + "\",backend=\"" +
                   escape_label(b.backend) + "\",version=\"" + escape_label(b.version) +
                   "\",sha256=\"" + escape_label(b.sha256) + "\"} 1\n";
    }
    header(out, "engram_config_generation", "gauge", "Generation of the kernel set now serving.");
    out += "engram_config_generation " + std::to_string(config_generation.value()) + "\n";
    header(out, "engram_reloads_total", "counter", "Reload attempts by result.");
    out += "engram_reloads_total{result=\"ok\"} " + std::to_string(reloads_ok.value()) + "\n";
    out +=
        "engram_reloads_total{result=\"failed\"} " + std::to_string(reloads_failed.value()) + "\n";
    header(out, "engram_state_write_failures_total", "counter",
           "Failed writes of the last-good config copy (E_RELOAD_STATE_WRITE).");
    out +=
        "engram_state_write_failures_total " + std::to_string(state_write_failures.value()) + "\n";
    const size_t nh = http_.size.load(std::memory_order_acquire);
    header(out, "engram_http_requests_total", "counter", "HTTP requests by route and status code.");
    for (size_t i = 0; i < nh; ++i) {
        const HttpSeries& s = *http_.items[i].load(std::memory_order_acquire);
        out += "engram_http_requests_total{route=\"" + escape_label(s.route) + "\",code=\"" +
               std::to_string(s.code) + "\"} " + std::to_string(s.requests.value()) + "\n";
    }
    const size_t nl = http_latency_.size.load(std::memory_order_acquire);
    header(out, "engram_http_request_duration_seconds", "histogram",
           "HTTP request handling time by route.");
    for (size_t i = 0; i < nl; ++i) {
        const HttpRouteLatency& s = *http_latency_.items[i].load(std::memory_order_acquire);
        render_histogram(out, "engram_http_request_duration_seconds",
                         "route=\"" + escape_label(s.route) + "\"", s.duration);
    }
    render_rollouts(out);
    render_parallel(out);
    render_process_stats(out, read_process_stats());
    return out;
}

}  // namespace engram::metrics
