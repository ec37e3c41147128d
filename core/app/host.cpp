#include "app/host.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "app/log.h"
#include "arena/arena.h"
#include "kernelset/kernel_set.h"
#include "metrics/registry.h"
#include "platform/cpu_features.h"
#include "store/memory_store.h"

namespace engram {

namespace {
double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

void log_errors(log::Level level, const std::string& what, const std::vector<Error>& errors) {
    for (const auto& e : errors)
        log::write(level, what, {{"code", std::string(code_string(e.code()))}, {"error", e.what()}});
}

std::vector<Error> errors_of(const std::exception& e) {
    if (const auto* list = dynamic_cast<const ErrorList*>(&e)) return list->errors();
    if (const auto* one = dynamic_cast<const Error*>(&e)) return {*one};
    return {Error(ErrorCode::ConfigRead, e.what())};
}

// [server] keys cannot change without rebinding the socket or restarting.
std::vector<std::string> server_changes(const ServerConfig& a, const ServerConfig& b) {
    std::vector<std::string> w;
    const auto note = [&](const char* key, const std::string& from, const std::string& to) {
        if (from != to)
            w.push_back(std::string("[server] ") + key + " changed from \"" + from + "\" to \"" + to +
                        "\": takes effect only after a restart");
    };
    note("listen", a.listen, b.listen);
    note("threads", std::to_string(a.threads), std::to_string(b.threads));
    note("log_level", a.log_level, b.log_level);
    note("log_format", a.log_format, b.log_format);
    note("pid_file", a.pid_file, b.pid_file);
    // allow_remote_admin is read live from config() by the server.
    return w;
}
}  // namespace

Config read_config(const std::filesystem::path& file, std::string* text) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    if (!in || in.bad()) {
        text->clear();
        return load_config(file);  // produces the canonical E_CONFIG_READ error
    }
    *text = ss.str();
    // Exactly what load_config does, but from the text we will also keep.
    const std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
    Config cfg = parse_config(*text, file.string(), absolute.parent_path());
    cfg.source = absolute;
    return cfg;
}

Host::Host(std::filesystem::path config_file) : Host(HostOptions{std::move(config_file), {}, false}) {}

Host::Host(HostOptions options) : options_(std::move(options)), usable_features_(usable_cpu_features()) {
    log::write(log::Level::Info, "cpu features", {{"usable", cpu_feature_names(usable_features_)}});
    std::string text;
    std::shared_ptr<const KernelSet> set;
    try {
        config_ = read_config(options_.config_file, &text);
        set = build_kernel_set(config_, usable_features_, 1, nullptr);
        configure_arenas(resolve_arena_settings(config_.arena));
    } catch (const std::exception& e) {
        if (!options_.use_last_good) throw;
        if (options_.last_good_file.empty() || !std::filesystem::exists(options_.last_good_file)) {
            // Say both things: why the config failed, and why there is no way round it.
            std::vector<Error> errors = errors_of(e);
            errors.push_back(Error(ErrorCode::ReloadNoLastGood,
                                   "--use-last-good: no last-good config copy at '" +
                                       options_.last_good_file.string() + "' to start from"));
            throw ErrorList(std::move(errors));
        }
        log_errors(log::Level::Error, "config failed to load", errors_of(e));
        log::write(log::Level::Warn,
                   "!!! STARTING FROM THE LAST-GOOD CONFIG, NOT FROM THE CONFIG FILE: fix it and reload !!!",
                   {{"config", options_.config_file.string()}, {"last_good", options_.last_good_file.string()}});
        std::string lg_text;
        std::ifstream in(options_.last_good_file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        lg_text = ss.str();
        // Relative paths in the copy mean what they meant next to the original.
        const auto base = std::filesystem::absolute(options_.config_file).lexically_normal().parent_path();
        config_ = parse_config(lg_text, options_.last_good_file.string(), base);
        config_.source = std::filesystem::absolute(options_.last_good_file).lexically_normal();
        set = build_kernel_set(config_, usable_features_, 1, nullptr);
        configure_arenas(resolve_arena_settings(config_.arena));
        started_from_last_good_ = true;
        text.clear();  // the copy is already the last good one
    }
    auto store = std::make_shared<const MemoryStore>(build_store(config_.store, unix_now()));
    log::write(log::Level::Info, "store ready",
               {{"memories", std::to_string(store->n)},
                {"dim", std::to_string(store->dim)},
                {"edges", std::to_string(store->sources.size())}});
    engine_ = std::make_unique<Engine>(std::move(store));
    install(set);
    log_kernel_set(*set);
    rollouts_ = std::make_unique<RolloutController>(
        *engine_, [this](uint64_t expected, std::shared_ptr<const KernelSet> next) {
            return publish_if_current(expected, std::move(next));
        });
    rollouts_->on_reload(nullptr, set, config_);
    if (!text.empty()) remember_last_good(text);
}

void Host::install(std::shared_ptr<const KernelSet> set) {
    std::erase_if(history_, [](const auto& w) { return w.expired(); });
    history_.push_back(set);
    auto& m = metrics::Registry::global();
    std::vector<metrics::BackendInfo> info;
    for (Kernel k : kAllKernels) {
        const Plugin& p = set->backend(k);
        info.push_back({kernel_name(k), p.name(), p.version(), p.sha256()});
    }
    m.set_backend_info(std::move(info));
    m.config_generation.set(static_cast<int64_t>(set->generation()));
    engine_->install(std::move(set));
}

void Host::abandon_reloads() { cancel_kernel_set_builds(); }

bool Host::publish_if_current(uint64_t expected_generation, std::shared_ptr<const KernelSet> set) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (engine_->snapshot()->generation() != expected_generation) return false;  // a reload got there first
        install(set);
    }
    log_kernel_set(*set);
    return true;
}

bool Host::promote_rollout(Kernel k, std::string* why) { return rollouts_->promote(k, why); }
bool Host::abort_rollout(Kernel k, std::string* why) { return rollouts_->abort(k, why); }

Config Host::config() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return config_;
}

HostStatus Host::status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    HostStatus s;
    s.serving = engine_->snapshot();
    for (const auto& w : history_)
        if (auto set = w.lock()) s.alive.push_back(std::move(set));
    s.last_reload = last_reload_;
    s.reloads_ok = reloads_ok_;
    s.reloads_failed = reloads_failed_;
    s.started_from_last_good = started_from_last_good_;
    s.config_file = options_.config_file;
    s.reload_in_progress_since_unix = reload_started_unix_;
    s.rollouts = rollouts_->status();
    return s;
}

ReloadResult Host::reload() {
    std::lock_guard<std::mutex> serial(reload_mutex_);
    const auto start = std::chrono::steady_clock::now();
    Config current_config;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        reload_started_unix_ = unix_now();
        current_config = config_;
    }
    ReloadResult r;
    const auto current = engine_->snapshot();
    std::string text;
    try {
        // Built aside, with no lock held: validation children may take
        // seconds, and /health, /v1/backends and requests must not wait.
        Config next = read_config(options_.config_file, &text);
        auto set = build_kernel_set(next, usable_features_, current->generation() + 1, current.get());
        // Validated before anything is swapped: a bad arena value fails the
        // whole reload and leaves every setting as it was.
        const ArenaSettings arena = resolve_arena_settings(next.arena);
        const StoreConfig &a = current_config.store, &b = next.store;
        if (a.kind != b.kind || a.memories != b.memories || a.dim != b.dim || a.seed != b.seed ||
            a.embeddings != b.embeddings || a.edges != b.edges)
            r.warnings.push_back("[store] changed: the store is built once, at start-up; restart to apply");
        for (auto& w : server_changes(current_config.server, next.server)) r.warnings.push_back(std::move(w));
        std::lock_guard<std::mutex> lock(mutex_);  // the publish step
        install(set);
        configure_arenas(arena);
        config_ = std::move(next);
        r.ok = true;
        r.generation = set->generation();
    } catch (const ErrorList& e) {
        r.errors = e.errors();
    } catch (const Error& e) {
        r.errors = {e};
    } catch (const std::exception& e) {  // e.g. bad_alloc, filesystem: never take the host down
        r.errors = {Error(ErrorCode::HttpInternal, e.what())};
    }
    if (!r.ok) r.generation = current->generation();
    const auto serving = engine_->snapshot();
    if (r.ok) log_kernel_set(*serving);
    for (Kernel k : kAllKernels) r.serving.emplace_back(kernel_name(k), serving->backend(k).name());
    r.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.finished_unix = unix_now();
    for (const auto& w : r.warnings) log::write(log::Level::Warn, w);
    (r.ok ? metrics::Registry::global().reloads_ok : metrics::Registry::global().reloads_failed).add();
    if (r.ok) {
        remember_last_good(text);
        rollouts_->on_reload(current, serving, config());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ++(r.ok ? reloads_ok_ : reloads_failed_);
    last_reload_ = r;
    reload_started_unix_.reset();
    return r;
}

void Host::remember_last_good(const std::string& text) {
    if (options_.last_good_file.empty() || text.empty()) return;
    // A reload of an unchanged config (the common case: SIGHUP from config
    // management) writes nothing: no file I/O on the reload path.
    if (text == last_good_written_ && std::filesystem::exists(options_.last_good_file)) return;
    // Written beside the target and renamed over it, so a crash mid-write
    // never leaves a truncated last-good file.
    const auto tmp = options_.last_good_file.string() + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            log::write(log::Level::Warn, "cannot write the last-good config copy",
                       {{"code", std::string(code_string(ErrorCode::ReloadStateWrite))}, {"file", tmp}});
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, options_.last_good_file, ec);
    if (!ec) {
        last_good_written_ = text;
        return;
    }
    log::write(log::Level::Warn, "cannot write the last-good config copy",
               {{"code", std::string(code_string(ErrorCode::ReloadStateWrite))},
                {"file", options_.last_good_file.string()},
                {"reason", ec.message()}});
    std::filesystem::remove(tmp, ec);
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
