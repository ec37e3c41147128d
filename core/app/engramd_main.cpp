// engramd: loads the config, validates every plugin, serves the HTTP API
// until SIGTERM/SIGINT. Signals are taken with sigwait() on the main thread,
// so no work ever runs inside a signal handler: SIGHUP only bumps the
// reloader's request counter, and the reload thread does the work.
//
// Only engramd decides when engramd exits: once plugins are loaded, an exit()
// from loaded code ends the process with status 70 (core/app/exit_guard.h);
// main marks its own returns as requested.
#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "app/exit_guard.h"
#include "app/host.h"
#include "app/log.h"
#include "app/notify.h"
#include "app/reloader.h"
#include "app/server_settings.h"
#include "common/error.h"
#include "config/config.h"
#include "server/http_server.h"
#include "server/listen_address.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace engram;

namespace {

void print_errors(const std::exception& e) {
    if (const auto* list = dynamic_cast<const ErrorList*>(&e)) {
        for (const auto& err : list->errors())
            std::fprintf(stderr, "error: %s\n", err.describe().c_str());
    } else if (const auto* one = dynamic_cast<const Error*>(&e)) {
        std::fprintf(stderr, "error: %s\n", one->describe().c_str());
    } else {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
}

// Applies log_level/log_format; false (and a message) if either is unknown.
bool apply_logging(const ServerConfig& s) {
    log::Level level;
    log::Format format;
    if (!log::parse_level(s.log_level, &level) || !log::parse_format(s.log_format, &format)) {
        std::fprintf(
            stderr, "engramd: --log-level must be debug|info|warn|error, --log-format text|json\n");
        return false;
    }
    log::configure(level, format);
    return true;
}

int check_config(const std::string& file) {
    exit_guard::install();  // covers the plugins' loading and self-tests
    try {
        Host host(file);
        exit_guard::install();  // again, after the Host: runs before anything it registered
        std::printf("%s: configuration OK (generation %llu)\n", file.c_str(),
                    static_cast<unsigned long long>(host.engine().snapshot()->generation()));
        return 0;
    } catch (const std::exception& e) {
        print_errors(e);
        std::fprintf(stderr, "%s: configuration check failed\n", file.c_str());
        return 1;
    }
}

struct ServeOptions {
    std::string config;
    std::string port_file;
    ServerOverrides cli;
    fs::path last_good;
    bool use_last_good = false;
};

// A small file that exists while engramd serves (pid file, port file):
// written beside its final name and renamed over it, so a reader that sees
// the file sees all of it; removed at a clean exit.
class RuntimeFile {
  public:
    RuntimeFile(std::string path, const std::string& content) : path_(std::move(path)) {
        if (path_.empty()) return;
        const std::string tmp = path_ + ".tmp." + std::to_string(getpid());
        std::ofstream(tmp) << content;
        std::error_code ec;
        fs::rename(tmp, path_, ec);
        if (ec)
            std::fprintf(stderr, "engramd: cannot write %s: %s\n", path_.c_str(),
                         ec.message().c_str());
    }
    ~RuntimeFile() {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove(path_, ec);
        }
    }

  private:
    std::string path_;
};

int serve(const ServeOptions& o) {
    // Block the signals we handle before any thread starts, then wait for them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // a client hanging up must not kill the daemon

    std::unique_ptr<Host> host;
    exit_guard::install();  // covers the plugins' loading and self-tests
    try {
        host = std::make_unique<Host>(HostOptions{o.config, o.last_good, o.use_last_good});
    } catch (const std::exception& e) {
        print_errors(e);
        return 1;
    }
    // Again, as late as possible: atexit handlers run last-registered first,
    // so an unrequested exit() now ends the process before any handler the
    // Host or its plugins registered runs (worker threads are still live).
    exit_guard::install();
    // The config that actually loaded (maybe the last-good copy) decides now.
    const ServerConfig settings = effective_server_config(host->config().server, o.cli);
    if (!apply_logging(settings)) return 2;
    std::string why;
    const auto address = server::parse_listen(settings.listen, /*allow_port_zero=*/true, &why);
    if (!address) {
        std::fprintf(stderr, "engramd: listen \"%s\": %s\n", settings.listen.c_str(), why.c_str());
        return 2;
    }

    // The reload as the Reloader runs it (SIGHUP and POST /v1/admin/reload
    // alike), framed for systemd: RELOADING=1 before, READY=1 after.
    // The address is known once listening; an admin reload may run before
    // the main thread has stored it, hence the lock.
    std::mutex served_at_mutex;
    std::string served_at = settings.listen;
    Reloader reloader([&host, &served_at, &served_at_mutex] {
        notify::reloading();
        ReloadResult r = host->reload();
        std::lock_guard<std::mutex> l(served_at_mutex);
        notify::reloaded(r.ok, r.generation, served_at);
        return r;
    });
    server::ServerOptions server_options;
    server_options.address = *address;
    server_options.threads = settings.threads;
    server::HttpServer http(*host, reloader, server_options);
    uint16_t port = 0;
    try {
        port = http.start();
    } catch (const Error& e) {
        log::write(log::Level::Error, e.what(), {{"code", std::string(code_string(e.code()))}});
        return 1;
    }
    const RuntimeFile pid(settings.pid_file, std::to_string(getpid()) + "\n");
    // Written once listening: scripts and tests learn the port (and that
    // engramd serves) from this file, never from a log line.
    const RuntimeFile port_file(o.port_file, std::to_string(port) + "\n");
    log::write(log::Level::Info, "engramd ready",
               {{"config", o.config},
                {"listen", address->host + ":" + std::to_string(port)},
                {"port", std::to_string(port)},
                {"threads", std::to_string(settings.threads)},
                {"last_good", o.last_good.string()}});
    {
        // READY=1 only now: listening, and the port file written.
        std::lock_guard<std::mutex> l(served_at_mutex);
        served_at = address->host + ":" + std::to_string(port);
        const auto serving = host->engine().snapshot();
        notify::ready(serving ? serving->generation() : 0, served_at);
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reloader.request();  // coalesced with any burst; the reload thread logs the result
            continue;
        }
        log::write(log::Level::Info, "engramd stopping",
                   {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        notify::stopping();
        host->abandon_reloads();  // a hung validation must not hold up the exit: its child is
                                  // killed
        http.stop();              // stop accepting; in-flight requests finish
        reloader.stop();          // the reload in progress ends; pending ones are dropped
        log::write(log::Level::Info, "engramd stopped");
        return 0;
    }
}

// <state-dir>/<config stem>.last-good.toml; state-dir defaults to the
// config's directory.
fs::path last_good_path(const std::string& config, const std::string& state_dir) {
    const fs::path cfg(config);
    const fs::path dir = state_dir.empty() ? fs::absolute(cfg).parent_path() : fs::path(state_dir);
    return dir / (cfg.stem().string() + ".last-good.toml");
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("engramd options (flags override the config's [server] table)");
    // One option a line, as tests/docs/check_docs.py reads them.
    // clang-format off
    opts.add_options()
        ("help,h", "show this help and exit")
        ("version", "print the version and exit")
        ("config,c", po::value<std::string>()->default_value("config/engram.toml"), "config file (TOML)")
        ("check-config", po::value<std::string>(), "validate FILE fully (plugins, self-tests, store) and exit; non-zero on errors")
        ("listen", po::value<std::string>(), "HOST:PORT to serve on ([::1]:8080 for IPv6; port 0 picks a free port)")
        ("threads", po::value<unsigned>(), "HTTP worker threads, 1..256")
        ("log-level", po::value<std::string>(), "debug|info|warn|error")
        ("log-format", po::value<std::string>(), "text|json")
        ("pid-file", po::value<std::string>(), "write the process id to FILE while serving")
        ("port-file", po::value<std::string>(), "once listening, write the bound port to FILE (atomically; removed at exit)")
        ("state-dir", po::value<std::string>(), "where CONFIG-STEM.last-good.toml is kept (default: the config's directory)")
        ("use-last-good", "if the config fails to load, start from the last config that loaded (logged as a WARN)");
    // clang-format on
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engramd: %s\n%s", e.what(), "try 'engramd --help'\n");
        return 2;
    }
    if (vm.count("help")) {
        std::cout
            << "usage: engramd [--config FILE] [options]\n       engramd --check-config FILE\n\n"
            << opts;
        return 0;
    }
    if (vm.count("version")) {
        std::printf("engramd %s (plugin ABI %d.%d)\n", ENGRAM_VERSION, ENGRAM_ABI_MAJOR,
                    ENGRAM_ABI_MINOR);
        return 0;
    }
    ServeOptions o;
    o.config = vm["config"].as<std::string>();
    if (vm.count("listen")) o.cli.listen = vm["listen"].as<std::string>();
    if (vm.count("threads")) {
        const unsigned t = vm["threads"].as<unsigned>();
        if (t < 1 || t > 256) {
            std::fprintf(stderr, "engramd: --threads must be 1..256\n");
            return 2;
        }
        o.cli.threads = t;
    }
    if (vm.count("log-level")) o.cli.log_level = vm["log-level"].as<std::string>();
    if (vm.count("log-format")) o.cli.log_format = vm["log-format"].as<std::string>();
    if (vm.count("pid-file")) o.cli.pid_file = vm["pid-file"].as<std::string>();
    if (vm.count("port-file")) o.port_file = vm["port-file"].as<std::string>();
    if (o.cli.listen) {
        std::string why;
        if (!server::parse_listen(*o.cli.listen, true, &why)) {
            std::fprintf(stderr, "engramd: --listen \"%s\": %s\n", o.cli.listen->c_str(),
                         why.c_str());
            return 2;
        }
    }
    // Logging before the Host loads: the flags, else the file's [server]
    // (read without plugins), else defaults. Re-applied once the Host is up.
    const std::string file =
        vm.count("check-config") ? vm["check-config"].as<std::string>() : o.config;
    ServerConfig early;
    try {
        early = load_config(file).server;
    } catch (const std::exception&) {
        // Reported properly by the Host below.
    }
    if (!apply_logging(effective_server_config(early, o.cli))) return 2;
    // Every return of check_config/serve is engramd's own decision, marked
    // once they have returned (the Host, and with it the plugins, is gone):
    // an exit() by loaded code up to that point ends with status 70.
    if (vm.count("check-config")) {
        const int status = check_config(file);
        exit_guard::mark_requested();
        return status;
    }
    o.use_last_good = vm.count("use-last-good") > 0;
    o.last_good =
        last_good_path(o.config, vm.count("state-dir") ? vm["state-dir"].as<std::string>() : "");
    const int status = serve(o);
    exit_guard::mark_requested();
    return status;
}
