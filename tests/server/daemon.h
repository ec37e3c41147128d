// A real engramd on a loopback port for the server tests: temp dir, config
// writer, start with --listen 127.0.0.1:0 and --port-file (engramd picks a
// free port and writes it there once listening), HTTP clients, and the
// oracle-side copy of the synthetic store.
#pragma once

#include <httplib.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "../app/process.h"

namespace engram::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kEngramd = std::string(ENGRAM_TEST_BIN_DIR) + "/engramd";
inline const std::string kEngramctl = std::string(ENGRAM_TEST_BIN_DIR) + "/engramctl";
inline std::string plugin(const std::string& name) {
    return std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_" + name + ".so";
}
inline std::string zoo(const std::string& name) {
    return std::string(ENGRAM_TEST_ZOO_DIR) + "/libengram_zoo_" + name + ".so";
}

// The store every server test uses: small, so the suite stays fast.
struct StoreShape {
    uint64_t memories = 2000, dim = 64;
    double degree = 4;
    uint64_t seed = 11;
};

struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "engram-server-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~TempDir() { fs::remove_all(path); }
    // Written to a temp name and renamed, as an operator's editor or a
    // deploy tool would: engramd never sees a half-written file.
    fs::path write(const std::string& name, const std::string& text) const {
        const fs::path tmp = path / (name + ".tmp");
        std::ofstream(tmp) << text;
        fs::rename(tmp, path / name);
        return path / name;
    }
};

// [plugins] entries (name = path) and the similarity/spreading/decay backend.
inline std::string config_text(const std::vector<std::pair<std::string, std::string>>& plugins,
                               const std::string& backend, const StoreShape& s = {},
                               const std::string& server_extra = "") {
    std::string t = "[plugins]\n";
    for (const auto& [n, p] : plugins) t += n + " = \"" + p + "\"\n";
    t += "[backends]\nsimilarity = \"" + backend + "\"\nspreading = \"" + backend +
         "\"\ndecay = \"" + backend + "\"\npriority = [\"reference\"]\n";
    t += "[store]\nmemories = " + std::to_string(s.memories) + "\ndim = " + std::to_string(s.dim) +
         "\navg_in_degree = " + std::to_string(s.degree) + "\nseed = " + std::to_string(s.seed) +
         "\n";
    // A generous validation timeout: the deep self-test of a good plugin
    // takes ~4 s under ASan on an idle machine, more on a loaded CI one.
    t += "[validation]\ntimeout_seconds = 60\n";
    t += "[server]\nthreads = 4\n" + server_extra;
    return t;
}

class Daemon {
  public:
    Daemon(const fs::path& config, const fs::path& out_dir, std::vector<std::string> extra = {},
           const std::vector<std::string>& env = {}) {
        port_file_ = out_dir / "engramd.port";
        std::error_code ec;
        fs::remove(port_file_, ec);
        std::vector<std::string> argv{kEngramd,      "--config",    config.string(),    "--listen",
                                      "127.0.0.1:0", "--port-file", port_file_.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        child_ = std::make_unique<Child>(argv, out_dir, env);
    }
    // Waits for the port file engramd writes (atomically) once it listens,
    // and reads the port from it. false on timeout.
    bool ready(std::chrono::seconds timeout = std::chrono::seconds(60)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            std::ifstream in(port_file_);
            if (in >> port_ && port_ > 0) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::unique_ptr<httplib::Client> client(int read_timeout_s = 60) const {
        auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
        c->set_read_timeout(read_timeout_s);
        c->set_connection_timeout(5);
        c->set_tcp_nodelay(true);  // else each request waits out a delayed ACK
        return c;
    }
    Child& process() { return *child_; }

    json get(const std::string& path, int* status = nullptr) const {
        auto res = client()->Get(path.c_str());
        REQUIRE(res);
        if (status) *status = res->status;
        return json::parse(res->body);
    }
    json post(const std::string& path, const std::string& body, int* status = nullptr) const {
        auto res = client()->Post(path.c_str(), body, "application/json");
        REQUIRE(res);
        if (status) *status = res->status;
        return json::parse(res->body);
    }

  private:
    std::unique_ptr<Child> child_;
    fs::path port_file_;
    int port_ = 0;
};

// Runs a command line (engramctl) to completion: exit code, stdout, stderr.
struct Run {
    int code;
    std::string out, err;
};
inline Run run(const std::vector<std::string>& argv, const fs::path& dir) {
    const fs::path sub = dir / ("run-" + std::to_string(std::rand()));
    fs::create_directories(sub);
    Child c(argv, sub);
    const int code = c.wait(std::chrono::seconds(120));
    return {code, c.out(), c.err()};
}

// Polls `pred` until true or the timeout; the condition, not the wait, is
// what a test asserts.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

}  // namespace engram::testing
