#include "app/host.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/log.h"
#include "arena/arena.h"
#include "config/config_values.h"
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
        log::write(level, what,
                   {{"code", std::string(code_string(e.code()))}, {"error", e.what()}});
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
            w.push_back(std::string("[server] ") + key + " changed from \"" + from + "\" to \"" +
                        to + "\": takes effect only after a restart");
    };
    note("listen", a.listen, b.listen);
    note("threads", std::to_string(a.threads), std::to_string(b.threads));
    note("log_level", a.log_level, b.log_level);
    note("log_format", a.log_format, b.log_format);
    note("pid_file", a.pid_file, b.pid_file);
    const auto kt = [](unsigned t) { return t == 0 ? std::string("auto") : std::to_string(t); };
    note("kernel_threads", kt(a.kernel_threads), kt(b.kernel_threads));
    note("kernel_split_min_rows", std::to_string(a.kernel_split_min_rows),
         std::to_string(b.kernel_split_min_rows));
    // allow_remote_admin is read live from config() by the server.
    return w;
}

// The store is built once, at start-up: every [store] key that a reload
// changes is named (the whole StoreConfig is compared, so a key added later
// without a line here still warns, unnamed).
std::vector<std::string> store_changes(const StoreConfig& a, const StoreConfig& b) {
    std::vector<std::string> w;
    if (a == b) return w;
    const auto note = [&](const char* key, const std::string& from, const std::string& to) {
        if (from != to)
            w.push_back(std::string("[store] ") + key + " changed from \"" + from + "\" to \"" +
                        to + "\": the store is built once, at start-up; restart to apply");
    };
    const auto kind = [](StoreConfig::Kind k) {
        return k == StoreConfig::Kind::Files ? "files" : "synthetic";
    };
    using config_values::format_double;
    note("kind", kind(a.kind), kind(b.kind));
    note("memories", std::to_string(a.memories), std::to_string(b.memories));
    note("dim", std::to_string(a.dim), std::to_string(b.dim));
    note("avg_in_degree", format_double(a.avg_in_degree), format_double(b.avg_in_degree));
    note("seed", std::to_string(a.seed), std::to_string(b.seed));
    note("embeddings", a.embeddings.string(), b.embeddings.string());
    note("embedding_scales", a.embedding_scales.string(), b.embedding_scales.string());
    note("edges", a.edges.string(), b.edges.string());
    note("memories_csv", a.memories_csv.string(), b.memories_csv.string());
    note("default_stability_seconds", format_double(a.default_stability_seconds),
         format_double(b.default_stability_seconds));
    note("embedding_format", embedding_format_name(a.embedding_format),
         embedding_format_name(b.embedding_format));
    const auto reorder = [](StoreConfig::Reorder r) {
        return r == StoreConfig::Reorder::Degree ? "degree" : "none";
    };
    note("reorder", reorder(a.reorder), reorder(b.reorder));
    if (w.empty())
        w.push_back("[store] changed: the store is built once, at start-up; restart to apply");
    return w;
}
}  // namespace

Config read_config(const std::filesystem::path& file, std::string* text) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    // A directory opens as an ifstream and reads as empty text (which would
    // then be reported as missing tables): load_config says E_CONFIG_READ.
    std::error_code ec;
    if (!in || in.bad() || std::filesystem::is_directory(file, ec)) {
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

Host::Host(std::filesystem::path config_file)
    : Host(HostOptions{std::move(config_file), {}, false}) {}

Host::Host(HostOptions options)
    : options_(std::move(options)), usable_features_(usable_cpu_features()) {
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
                   "!!! STARTING FROM THE LAST-GOOD CONFIG, NOT FROM THE CONFIG FILE: fix it and "
                   "reload !!!",
                   {{"config", options_.config_file.string()},
                    {"last_good", options_.last_good_file.string()}});
        std::string lg_text;
        std::ifstream in(options_.last_good_file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        lg_text = ss.str();
        // Relative paths in the copy mean what they meant next to the original.
        const auto base =
            std::filesystem::absolute(options_.config_file).lexically_normal().parent_path();
        config_ = parse_config(lg_text, options_.last_good_file.string(), base);
        config_.source = std::filesystem::absolute(options_.last_good_file).lexically_normal();
        set = build_kernel_set(config_, usable_features_, 1, nullptr);
        configure_arenas(resolve_arena_settings(config_.arena));
        started_from_last_good_ = true;
        text.clear();  // the copy is already the last good one
    }
    auto store = std::make_shared<const MemoryStore>(build_store(config_.store, unix_now()));
    log::write(
        log::Level::Info, "store ready",
        {{"memories", std::to_string(store->n)},
         {"dim", std::to_string(store->dim)},
         {"edges", std::to_string(store->sources.size())},
         {"graph_order", store->graph_reordered() ? "degree" : "id"},
         // [store] embedding_format and what the rows take in memory.
         {"embedding_format", embedding_format_name(store->format)},
         {"embedding_bytes",
          std::to_string(store->embeddings.size() * sizeof(float) +
                         store->embeddings_bf16.size() * sizeof(uint16_t) +
                         store->embeddings_int8.size() + store->scales.size() * sizeof(float))}});
    ParallelSettings parallel;
    if (config_.server.kernel_threads != 0) parallel.threads = config_.server.kernel_threads;
    parallel.min_rows = config_.server.kernel_split_min_rows;
    engine_ = std::make_unique<Engine>(std::move(store), parallel);
    log::write(log::Level::Info, "kernel threads",
               {{"kernel_threads", std::to_string(parallel.threads)},
                {"kernel_split_min_rows", std::to_string(parallel.min_rows)}});
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
        if (engine_->snapshot()->generation() != expected_generation)
            return false;  // a reload got there first
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
    if (state_write_error_) {
        s.state_write_error = state_write_error_->message;
        s.state_write_error_unix = state_write_error_->unix_time;
    }
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
        // Backends are checked against the store that is serving: an edited
        // embedding_format applies only at the next start (warned below).
        Config against_store = next;
        against_store.store.embedding_format = engine_->store().format;
        auto set = build_kernel_set(against_store, usable_features_, current->generation() + 1,
                                    current.get());
        // Validated before anything is swapped: a bad arena value fails the
        // whole reload and leaves every setting as it was.
        const ArenaSettings arena = resolve_arena_settings(next.arena);
        for (auto& w : store_changes(current_config.store, next.store))
            r.warnings.push_back(std::move(w));
        for (auto& w : server_changes(current_config.server, next.server))
            r.warnings.push_back(std::move(w));
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
    r.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.finished_unix = unix_now();
    for (const auto& w : r.warnings) log::write(log::Level::Warn, w);
    (r.ok ? metrics::Registry::global().reloads_ok : metrics::Registry::global().reloads_failed)
        .add();
    if (r.ok) {
        // The reload stands even if the copy cannot be written; the failure
        // is reported (reloads.last warnings, state_write_error, metrics).
        if (auto w = remember_last_good(text)) r.warnings.push_back(std::move(*w));
        rollouts_->on_reload(current, serving, config());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ++(r.ok ? reloads_ok_ : reloads_failed_);
    last_reload_ = r;
    reload_started_unix_.reset();
    return r;
}

namespace {
// write(2) all of `text` to fd, retrying short writes and EINTR.
bool write_all(int fd, const std::string& text) {
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    return true;
}

// Durable replacement of `target` by `text`: write a temporary file beside
// it, fsync it, rename it over the target, fsync the directory. On failure
// the target is untouched (the temporary is removed) and the reason is
// returned: "what: strerror".
std::optional<std::string> write_durably(const std::filesystem::path& target,
                                         const std::string& text) {
    const std::string tmp = target.string() + ".tmp." + std::to_string(getpid());
    const auto fail = [&](const char* what, int err) {
        ::unlink(tmp.c_str());
        return std::optional<std::string>(std::string(what) + " '" + tmp +
                                          "': " + std::strerror(err));
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail("open", errno);
    if (!write_all(fd, text)) {
        const int err = errno;
        ::close(fd);
        return fail("write", err);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        return fail("fsync", err);
    }
    if (::close(fd) != 0) return fail("close", errno);
    if (::rename(tmp.c_str(), target.c_str()) != 0) return fail("rename", errno);
    // The rename is durable only once the directory entry is.
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return std::string("open directory '") + dir.string() + "': " + std::strerror(errno);
    if (::fsync(dfd) != 0) {
        const int err = errno;
        ::close(dfd);
        return std::string("fsync directory '") + dir.string() + "': " + std::strerror(err);
    }
    ::close(dfd);
    return std::nullopt;
}
}  // namespace

std::optional<std::string> Host::remember_last_good(const std::string& text) {
    if (options_.last_good_file.empty() || text.empty()) return std::nullopt;
    // A reload of an unchanged config (the common case: SIGHUP from config
    // management) writes nothing: no file I/O on the reload path.
    if (text == last_good_written_ && std::filesystem::exists(options_.last_good_file))
        return std::nullopt;
    // Written beside the target, fsynced and renamed over it, then the
    // directory fsynced: a crash or a full disk mid-write never leaves a
    // truncated last-good file, and a rename that returned is on disk.
    const auto error = write_durably(options_.last_good_file, text);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error) {
        last_good_written_ = text;
        state_write_error_.reset();
        return std::nullopt;
    }
    metrics::Registry::global().state_write_failures.add();
    const std::string message = "cannot write the last-good config copy '" +
                                options_.last_good_file.string() + "': " + *error +
                                " (the previous copy is unchanged)";
    log::write(log::Level::Warn, "cannot write the last-good config copy",
               {{"code", std::string(code_string(ErrorCode::ReloadStateWrite))},
                {"file", options_.last_good_file.string()},
                {"reason", *error}});
    state_write_error_ = StateWriteError{message, unix_now()};
    return std::string(code_string(ErrorCode::ReloadStateWrite)) + ": " + message;
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
