// The price of proving plugins in a child: SIGHUP -> serving, end to end, on
// a real engramd over loopback. Each iteration rewrites the config (atomic
// rename), sends SIGHUP and polls GET /v1/backends (keep-alive, 1 ms apart)
// until the new generation serves.
//   BM_SighupToServing/new_plugins: the config alternates between two
//     directories holding copies of the shipped plugins (reference, avx2,
//     avx512), so every reload validates every plugin in its own child (in
//     parallel) before mapping it: the cost of a plugin release.
//   BM_SighupToServing/unchanged: the same config again: files stat()ed,
//     nothing re-validated (a config-management SIGHUP).
// Target (issue "untrusted plugins"): new_plugins median <= 250 ms on a
// 2-core machine. Run: build/bin/engram_bench_reload --benchmark_repetitions=20
//   --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

class Engramd {
  public:
    Engramd() {
        std::string t = (fs::temp_directory_path() / "engram-bench-reload-XXXXXX").string();
        dir_ = mkdtemp(t.data());
        for (const char* d : {"a", "b"}) {
            fs::create_directories(dir_ / d);
            for (const char* p : {"reference", "avx2", "avx512"}) {
                const fs::path src = fs::path(ENGRAM_BENCH_RELOAD_PLUGIN_DIR) /
                                     (std::string("libengram_") + p + ".so");
                if (fs::exists(src)) {
                    fs::copy_file(src, dir_ / d / src.filename());
                    if (d[0] == 'a') plugins_.push_back(p);
                }
            }
        }
        write_config("a");
        const std::string port_file = (dir_ / "port").string();
        pid_ = fork();
        if (pid_ == 0) {
            const std::string cfg = (dir_ / "engram.toml").string(),
                              log = (dir_ / "engramd.log").string();
            if (!std::freopen(log.c_str(), "w", stderr)) _exit(126);
            execl(ENGRAM_BENCH_RELOAD_ENGRAMD, ENGRAM_BENCH_RELOAD_ENGRAMD, "--config", cfg.c_str(),
                  "--listen", "127.0.0.1:0", "--port-file", port_file.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 6000 && port_ == 0; ++i) {
            std::ifstream in(port_file);
            if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
        client_->set_keep_alive(true);
    }
    ~Engramd() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    bool ok() const { return port_ > 0; }

    void write_config(const std::string& sub) {
        std::string t = "[plugins]\n";
        for (const auto& p : plugins_)
            t += p + " = \"" + (dir_ / sub / ("libengram_" + p + ".so")).string() + "\"\n";
        t += "[store]\nmemories = 10000\ndim = 768\n[server]\nthreads = 2\n";
        std::ofstream(dir_ / "engram.toml.tmp") << t;
        fs::rename(dir_ / "engram.toml.tmp", dir_ / "engram.toml");
    }
    uint64_t generation() {
        auto res = client_->Get("/v1/backends");
        if (!res || res->status != 200) return 0;
        return nlohmann::json::parse(res->body)["generation"].get<uint64_t>();
    }
    // SIGHUP, then poll until generation `want` serves; seconds elapsed.
    double reload_until(uint64_t want) {
        const auto t0 = std::chrono::steady_clock::now();
        kill(pid_, SIGHUP);
        while (generation() < want) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

  private:
    fs::path dir_;
    std::vector<std::string> plugins_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::unique_ptr<httplib::Client> client_;
};

Engramd& engramd() {
    static Engramd d;
    return d;
}

void BM_SighupToServing(benchmark::State& state) {
    Engramd& d = engramd();
    if (!d.ok()) {
        state.SkipWithError("engramd did not start (see its log)");
        return;
    }
    const bool fresh = state.range(0) == 1;
    static int side = 0;
    for (auto _ : state) {
        const uint64_t next = d.generation() + 1;
        if (fresh) d.write_config((side ^= 1) ? "b" : "a");
        state.SetIterationTime(d.reload_until(next));
    }
}
BENCHMARK(BM_SighupToServing)
    ->ArgName("new_plugins")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
