// engramd: loads the config, validates every plugin, serves until SIGTERM.
// Signals are taken with sigwait() on the main thread, so no work ever runs
// inside a signal handler.
#include <signal.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "app/host.h"
#include "app/log.h"
#include "common/error.h"
#include "config/config.h"

namespace po = boost::program_options;
using namespace engram;

namespace {

void print_errors(const std::exception& e) {
    if (const auto* list = dynamic_cast<const ErrorList*>(&e)) {
        for (const auto& err : list->errors()) std::fprintf(stderr, "error: %s\n", err.describe().c_str());
    } else if (const auto* one = dynamic_cast<const Error*>(&e)) {
        std::fprintf(stderr, "error: %s\n", one->describe().c_str());
    } else {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
}

int check_config(const std::string& file) {
    try {
        Host host(file);
        std::printf("%s: configuration OK (generation %llu)\n", file.c_str(),
                    static_cast<unsigned long long>(host.engine().snapshot()->generation()));
        return 0;
    } catch (const std::exception& e) {
        print_errors(e);
        std::fprintf(stderr, "%s: configuration check failed\n", file.c_str());
        return 1;
    }
}

int serve(const std::string& file) {
    // Block the signals we handle before any thread starts, then wait for them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    std::unique_ptr<Host> host;
    try {
        host = std::make_unique<Host>(file);
    } catch (const std::exception& e) {
        print_errors(e);
        return 1;
    }
    log::write(log::Level::Info, "engramd ready", {{"config", file}});
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            const ReloadResult r = host->reload();
            log::Fields f{{"generation", std::to_string(r.generation)},
                          {"result", r.ok ? "ok" : "failed"},
                          {"duration_ms", std::to_string(r.duration_seconds * 1000.0)}};
            if (!r.ok) f.push_back({"code", std::string(code_string(r.errors.front().code()))});
            log::write(r.ok ? log::Level::Info : log::Level::Error, "reload", f);
            for (const auto& e : r.errors) log::write(log::Level::Error, e.describe());
        } else {
            log::write(log::Level::Info, "engramd stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
            return 0;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("engramd options");
    opts.add_options()
        ("help,h", "show this help and exit")
        ("version", "print the version and exit")
        ("config,c", po::value<std::string>()->default_value("config/engram.toml"), "config file (TOML)")
        ("check-config", po::value<std::string>(), "validate FILE fully (plugins, self-tests, store) and exit; non-zero on errors")
        ("log-level", po::value<std::string>()->default_value("info"), "debug|info|warn|error")
        ("log-format", po::value<std::string>()->default_value("text"), "text|json");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engramd: %s\n%s", e.what(), "try 'engramd --help'\n");
        return 2;
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (vm.count("version")) {
        std::printf("engramd %s (plugin ABI %d.%d)\n", ENGRAM_VERSION, ENGRAM_ABI_MAJOR, ENGRAM_ABI_MINOR);
        return 0;
    }
    log::Level level;
    log::Format format;
    if (!log::parse_level(vm["log-level"].as<std::string>(), &level) ||
        !log::parse_format(vm["log-format"].as<std::string>(), &format)) {
        std::fprintf(stderr, "engramd: --log-level must be debug|info|warn|error, --log-format text|json\n");
        return 2;
    }
    log::configure(level, format);
    if (vm.count("check-config")) return check_config(vm["check-config"].as<std::string>());
    return serve(vm["config"].as<std::string>());
}
