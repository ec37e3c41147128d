// Runs a real child process for the tests: argv + env, captures stdout and
// stderr into files, and lets the test signal and reap it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace engram::testing {

class Child {
  public:
    Child(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
          const std::vector<std::string>& env = {})
        : out_(out_dir / "stdout.txt"), err_(out_dir / "stderr.txt") {
        pid_ = fork();
        if (pid_ == 0) {
            FILE* o = std::freopen(out_.c_str(), "w", stdout);
            FILE* e = std::freopen(err_.c_str(), "w", stderr);
            (void)o;
            (void)e;
            for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    void signal(int sig) const { kill(pid_, sig); }
    pid_t pid() const { return pid_; }
    // Exit code, or 128 + signal, or -1 on timeout.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }
    std::string out() const { return slurp(out_); }
    std::string err() const { return slurp(err_); }
    // Waits until stderr contains `needle` (true) or the timeout passes.
    bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) const {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            if (err().find(needle) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

  private:
    static std::string slurp(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    std::filesystem::path out_, err_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

}  // namespace engram::testing
