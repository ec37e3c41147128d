// Runs a real child process for the tests: argv + env, captures stdout and
// stderr into files, and lets the test signal and reap it.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

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
    // posix_spawn, not fork + exec: the tests start children while their own
    // threads (load clients) allocate, and a forked child of a threaded
    // process may only call async-signal-safe functions. Under the GCC 12
    // ASan runtime, whose allocator does not lock around fork(), a
    // freopen() there could deadlock on an allocator lock held by a thread
    // that no longer exists (seen once in CI: engramctl never started and
    // its Run timed out with no output).
    Child(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
          const std::vector<std::string>& env = {})
        : out_(out_dir / "stdout.txt"), err_(out_dir / "stderr.txt") {
        // The environment: ours, with each NAME=value of `env` replacing NAME.
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) {
            const std::string kv = *e;
            const std::string name = kv.substr(0, kv.find('='));
            bool replaced = false;
            for (const auto& x : env) replaced = replaced || x.substr(0, x.find('=')) == name;
            if (!replaced) envs.push_back(kv);
        }
        envs.insert(envs.end(), env.begin(), env.end());
        std::vector<char*> args, envp;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        spawn_error_ = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        if (spawn_error_ != 0) pid_ = -1;
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    void signal(int sig) const {
        if (pid_ > 0) kill(pid_, sig);
    }
    pid_t pid() const { return pid_; }
    // Exit code, or 128 + signal, or -1 on timeout; 127 if it could not start.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        if (pid_ < 0) return 127;
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
    int spawn_error_ = 0;
    bool reaped_ = false;
};

}  // namespace engram::testing
