#include "loader/child_validation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.h"

extern char** environ;

namespace engram {

namespace {

std::atomic<bool> g_cancelled{false};

[[noreturn]] void refuse(ErrorCode code, const std::filesystem::path& shown_as,
                         const std::string& why) {
    throw Error(code, shown_as.string() + ": " + why);
}

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    const char* desc = strsignal(sig);
    return std::string(abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig)) +
           (desc ? std::string(" (") + desc + ")" : "");
}

// Closes a descriptor once, on every path.
struct Fd {
    int fd = -1;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

struct Outcome {
    std::string output;  // everything the child wrote on the result pipe
    int status = 0;      // waitpid status
    bool timed_out = false;
    bool stray = false;  // a process of the child's group outlived it
    bool cancelled = false;
    double seconds = 0;
};

Outcome run_child(const std::vector<std::string>& args, double timeout_seconds,
                  const std::filesystem::path& shown_as) {
    if (g_cancelled.load())
        refuse(ErrorCode::ReloadStopping, shown_as, "engramd is stopping: validation not started");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        refuse(ErrorCode::SelfTestValidator, shown_as,
               std::string("cannot create a pipe: ") + std::strerror(errno));
    // Above 3 so the dup2 onto fd 3 in the child is a real dup (which clears
    // close-on-exec), whatever descriptors this process has open.
    Fd rd{::fcntl(p[0], F_DUPFD_CLOEXEC, 10)}, wr{::fcntl(p[1], F_DUPFD_CLOEXEC, 10)};
    ::close(p[0]);
    ::close(p[1]);
    if (rd.fd < 0 || wr.fd < 0)
        refuse(ErrorCode::SelfTestValidator, shown_as, "cannot duplicate the pipe");

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);  // the plugin's prints go to the host's log stream
    posix_spawn_file_actions_adddup2(&fa, wr.fd, 3);
    posix_spawn_file_actions_addclosefrom_np(&fa, 4);  // no sockets, no listening fds
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);  // engramd blocks SIGTERM/SIGHUP; the child must not
    posix_spawnattr_setsigdefault(&attr, &all);
    // A process group of its own: whatever the plugin forks stays in it and
    // is killed with it (below), and cannot keep the result pipe open.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    wr.reset();
    if (rc != 0)
        refuse(ErrorCode::SelfTestValidator, shown_as,
               "cannot start the validator " + args[0] + ": " + std::strerror(rc));

    Outcome out;
    const auto deadline = start + std::chrono::duration<double>(timeout_seconds);
    bool reaped = false;
    while (!reaped) {
        if (g_cancelled.load()) {
            out.cancelled = true;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            out.timed_out = true;
            break;
        }
        const int wait_ms = static_cast<int>(std::min<int64_t>(
            50, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));
        if (rd.fd >= 0) {
            pollfd pfd{rd.fd, POLLIN, 0};
            if (::poll(&pfd, 1, wait_ms) > 0) {
                char buf[4096];
                const ssize_t n = ::read(rd.fd, buf, sizeof buf);
                if (n > 0 && out.output.size() < (1u << 16))
                    out.output.append(buf, static_cast<size_t>(n));
                if (n == 0) rd.reset();  // EOF: every copy of fd 3 is closed, usually at exit
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        const pid_t w = ::waitpid(pid, &out.status, WNOHANG);
        if (w == pid) reaped = true;
    }
    if (!reaped) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
        }
    }
    // Anything left in the child's group was started by the plugin (the
    // validator itself never forks): note it, then kill it, so no process of
    // the plugin's runs on after its verdict.
    out.stray = ::kill(-pid, 0) == 0;
    ::kill(-pid, SIGKILL);
    if (rd.fd >= 0) {
        // Drain what the child wrote before it ended, without waiting for an
        // EOF a process that left the group (setsid) could withhold for ever.
        ::fcntl(rd.fd, F_SETFL, ::fcntl(rd.fd, F_GETFL) | O_NONBLOCK);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(rd.fd, buf, sizeof buf)) > 0 && out.output.size() < (1u << 16))
            out.output.append(buf, static_cast<size_t>(n));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

std::string fmt_seconds(double s) {
    std::ostringstream o;
    o.precision(3);
    o << s;
    return o.str();
}

}  // namespace

std::filesystem::path find_validator() {
    if (const char* env = std::getenv("ENGRAM_VALIDATOR"); env && *env) return env;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto beside = exe.parent_path() / "engram-validate";
        if (std::filesystem::exists(beside, ec)) return beside;
        const auto libexec =
            exe.parent_path().parent_path() / "libexec" / "engram" / "engram-validate";
        if (std::filesystem::exists(libexec, ec)) return libexec;
    }
    return "/usr/libexec/engram/engram-validate";
}

void cancel_validations() { g_cancelled.store(true); }

ChildReport validate_in_child(const std::filesystem::path& copy, const std::string& sha256,
                              uint64_t usable_cpu_features, const std::filesystem::path& shown_as,
                              const ChildValidation& o) {
    const std::filesystem::path validator = o.validator.empty() ? find_validator() : o.validator;
    // Checked here: a spawn that cannot exec would otherwise look like a
    // child that exited (and under qemu-user posix_spawn cannot tell).
    if (::access(validator.c_str(), X_OK) != 0)
        refuse(ErrorCode::SelfTestValidator, shown_as,
               "cannot start the validator " + validator.string() + ": " + std::strerror(errno));
    const std::vector<std::string> args = {validator.string(),
                                           "--plugin",
                                           copy.string(),
                                           "--shown-as",
                                           shown_as.string(),
                                           "--sha256",
                                           sha256,
                                           "--features",
                                           std::to_string(usable_cpu_features),
                                           "--address-space-mib",
                                           std::to_string(o.address_space_mib),
                                           "--cpu-seconds",
                                           std::to_string(o.cpu_seconds),
                                           "--cases",
                                           std::to_string(o.random_cases),
                                           "--seed",
                                           std::to_string(o.seed)};
    const Outcome out = run_child(args, o.timeout_seconds, shown_as);
    if (out.cancelled)
        refuse(ErrorCode::ReloadStopping, shown_as, "engramd is stopping: validation abandoned");
    if (out.timed_out)
        refuse(ErrorCode::SelfTestTimeout, shown_as,
               "validation did not finish within " + fmt_seconds(o.timeout_seconds) +
                   " s ([validation] timeout_seconds): the plugin hangs or is far too slow; the "
                   "child was killed");

    // The last complete line is the verdict (a plugin may have written
    // before it, but only the validator writes after the run).
    std::string line;
    {
        std::istringstream in(out.output);
        std::string l;
        while (std::getline(in, l))
            if (!l.empty()) line = l;
    }
    if (line.rfind("FAIL ", 0) == 0) {
        const auto sp = line.find(' ', 5);
        const std::string code_text =
            line.substr(5, sp == std::string::npos ? std::string::npos : sp - 5);
        ErrorCode code;
        if (!code_from_string(code_text, &code)) code = ErrorCode::SelfTestValidator;
        std::string message = sp == std::string::npos ? "" : line.substr(sp + 1);
        // The child names the file as it was shown; add nothing twice.
        if (message.rfind(shown_as.string(), 0) == 0) throw Error(code, message);
        refuse(code, shown_as, message);
    }
    if (WIFSIGNALED(out.status)) {
        const int sig = WTERMSIG(out.status);
        if (sig == SIGXCPU || (sig == SIGKILL && out.seconds >= double(o.cpu_seconds)))
            refuse(ErrorCode::SelfTestTimeout, shown_as,
                   "validation used more than " + std::to_string(o.cpu_seconds) +
                       " s of CPU ([validation] cpu_seconds)");
        refuse(ErrorCode::SelfTestCrashed, shown_as,
               "the plugin crashed the validation child: killed by " + signal_name(sig) +
                   " after " + fmt_seconds(out.seconds) + " s");
    }
    const int code = WIFEXITED(out.status) ? WEXITSTATUS(out.status) : -1;
    if (line.rfind("OK\t", 0) != 0 || code != 0)
        refuse(ErrorCode::SelfTestExited, shown_as,
               "the validation child ended with exit status " + std::to_string(code) +
                   (line.rfind("OK\t", 0) == 0 ? " after passing" : " before reporting a verdict") +
                   ": the plugin called exit() (or _exit()) itself");
    // OK \t name \t version \t abi_major \t abi_minor \t features
    ChildReport r;
    std::istringstream f(line.substr(3));
    std::string abi_major, abi_minor, features;
    std::getline(f, r.name, '\t');
    std::getline(f, r.version, '\t');
    std::getline(f, abi_major, '\t');
    std::getline(f, abi_minor, '\t');
    std::getline(f, features, '\t');
    try {
        r.abi_major = static_cast<unsigned>(std::stoul(abi_major));
        r.abi_minor = static_cast<unsigned>(std::stoul(abi_minor));
        r.required_cpu_features = std::stoull(features);
    } catch (const std::exception&) {
        refuse(ErrorCode::SelfTestValidator, shown_as,
               "the validation child's report is malformed: " + line);
    }
    if (out.stray)
        refuse(ErrorCode::SelfTestStrayProcess, shown_as,
               "the plugin started a process that was still running when the validation child "
               "ended (it was killed): a plugin never forks; in engramd it would outlive every "
               "reload");
    r.seconds = out.seconds;
    return r;
}

}  // namespace engram
